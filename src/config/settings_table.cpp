#include "config/settings_table.h"

#include <sys/un.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <cctype>

#include "ring/ring_names.h"

// Rows name only the columns they use; the others keep their defaults (no env, no flag...).
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace pcap_ring {
namespace {

// A parser that does not care which layer the value came from.
template <typename Settings, typename Fn>
AnySettingParser parser(Fn fn) {
  return SettingParser<Settings>([fn](Settings& s, const std::string& v, Source) -> Problem { return fn(s, v); });
}

Problem set_name_part(std::string* field, const std::string& v, const char* what) {
  if (!is_valid_name_part(v)) return std::string("expected ") + what + " without '/' and not starting with '.'";
  *field = v;
  return std::nullopt;
}

// "NAME NAME ...": environment variable names, as a shell would accept them.
Problem set_variable_names(std::vector<std::string>* names, const std::string& v) {
  std::vector<std::string> words;
  std::istringstream in(v);
  for (std::string word; in >> word;) {
    bool valid = !std::isdigit(static_cast<unsigned char>(word[0])) &&
                 word.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos;
    if (!valid) return "'" + word + "' is not an environment variable name (letters, digits and '_')";
    words.push_back(word);
  }
  *names = std::move(words);
  return std::nullopt;
}

Problem set_any(std::string* field, const std::string& v) {
  *field = v;
  return std::nullopt;
}

Problem set_url(std::string* field, const std::string& v) {
  if (v.rfind("http://", 0) != 0 && v.rfind("https://", 0) != 0) return "expected a URL starting with http:// or https://";
  *field = v;
  while (!field->empty() && field->back() == '/') field->pop_back();
  return std::nullopt;
}

Problem set_tags(std::vector<std::string>* tags, const std::string& v) {
  tags->clear();
  std::size_t start = 0;
  while (start <= v.size()) {
    auto comma = v.find(',', start);
    std::string tag = v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    auto first = tag.find_first_not_of(" \t");
    auto last = tag.find_last_not_of(" \t");
    tag = first == std::string::npos ? "" : tag.substr(first, last - first + 1);
    if (!tag.empty()) {
      if (tag.find_first_of(" \t") != std::string::npos) return "expected comma-separated tags without spaces";
      tags->push_back(tag);
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return std::nullopt;
}

// Suricata paths: an empty value restores the default (so IFACE.conf can switch continuous
// mode off again); files and the environment need absolute paths, a relative flag is taken
// from the current directory.
Problem set_suricata_path(std::string* field, const std::string& v, const char* default_value, Source source) {
  if (v.empty()) {
    *field = default_value;
    return std::nullopt;
  }
  if (v.front() != '/') {
    if (source != Source::kCommandLine) return "must be an absolute path";
    std::error_code ec;
    std::filesystem::path abs = std::filesystem::absolute(v, ec);
    *field = ec ? v : abs.lexically_normal().string();
    return std::nullopt;
  }
  *field = std::filesystem::path(v).lexically_normal().string();
  return std::nullopt;
}

Problem set_suricata_seconds(double* field, const std::string& v) {
  if (v.empty()) {
    *field = kDefaultSuricataTimeout;
    return std::nullopt;
  }
  char* end = nullptr;
  errno = 0;
  double seconds = std::strtod(v.c_str(), &end);
  if (errno != 0 || end != v.c_str() + v.size() || !std::isfinite(seconds) || seconds <= 0 || seconds > 86400)
    return "allowed: a number of seconds, > 0 and <= 86400";
  *field = seconds;
  return std::nullopt;
}

std::vector<SettingSpec> capture_rows();
std::vector<SettingSpec> packet_rows();
std::vector<SettingSpec> hooks_rows();
std::vector<SettingSpec> cloudshark_rows();
std::vector<SettingSpec> s3_rows();
std::vector<SettingSpec> suricata_rows();
std::vector<SettingSpec> agent_rows();

}  // namespace

std::string SettingSpec::long_flag() const {
  auto pos = flag.find("--");
  return pos == std::string::npos ? flag : flag.substr(pos);
}

const std::vector<SettingSpec>& settings_table() {
  static const std::vector<SettingSpec> table = [] {
    std::vector<SettingSpec> all;
    for (auto rows : {capture_rows(), packet_rows(), hooks_rows(), cloudshark_rows(), s3_rows(), suricata_rows(), agent_rows()})
      for (auto& row : rows) all.push_back(std::move(row));
    return all;
  }();
  return table;
}

namespace {

using C = CaptureConfig;

// [capture]: the ring's location, size and retention, in --help order; the rows without an INI
// key come from the command line or the environment only.
std::vector<SettingSpec> capture_rows() {
  return {
      {.section = "capture", .name = "interface", .flag = "-i,--interface", .value_name = "IFACE",
       .help = "Interface to capture on; also names the ring's files",
       .field = stored_in<&C::interface_name>(),
       .parse = parser<C>([](C& c, const std::string& v) { return set_name_part(&c.interface_name, v, "an interface name"); })},
      {.section = "capture", .name = "read", .flag = "-r,--read", .value_name = "FILE",
       .help = "Read packets from a pcap/pcapng file instead of an interface (ring named after the file unless --interface is given)",
       .field = stored_in<&C::read_file>(),
       .parse = parser<C>([](C& c, const std::string& v) { return set_nonempty(&c.read_file, v, "a file name"); })},
      {.section = "capture", .name = "output_dir", .ini_key = "output_dir", .env = "OUTPUT_DIR", .flag = "-o,--output-dir",
       .value_name = "DIR", .help = std::string("Ring directory (default ") + kDefaultStateRoot + "/IFACE)",
       .field = stored_in<&C::output_dir>(),
       .parse = parser<C>([](C& c, const std::string& v) { return set_nonempty(&c.output_dir, v, "a directory"); })},
      {.section = "capture", .name = "prefix", .ini_key = "prefix", .env = "PREFIX", .flag = "--prefix", .value_name = "NAME",
       .help = "File name prefix (default pcap)", .default_value = "pcap", .field = stored_in<&C::prefix>(),
       .parse = parser<C>([](C& c, const std::string& v) { return set_name_part(&c.prefix, v, "a prefix"); })},
      {.section = "capture", .name = "file_size", .ini_key = "file_size", .env = "FILESIZE", .flag = "-C,--file-size",
       .value_name = "MB", .help = "Rotate when a file reaches this many millions of bytes (default 25)",
       .default_value = "25", .reloadable = true, .field = stored_in<&C::file_size_mb>(),
       .parse = parser<C>([](C& c, const std::string& v) {
         return parse_uint(v, 1, 1000000, "a whole number of megabytes (10^6 bytes)", &c.file_size_mb);
       })},
      {.section = "capture", .name = "file_limit", .ini_key = "file_limit", .env = "FILELIMIT", .flag = "-W,--file-limit",
       .value_name = "N", .help = "Keep at most N ring files, the one being written included (default 10)",
       .default_value = "10", .reloadable = true, .field = stored_in<&C::file_limit>(),
       .parse = parser<C>([](C& c, const std::string& v) {
         return parse_uint(v, 1, 100000000, "a whole number of files", &c.file_limit);
       })},
      {.section = "capture", .name = "rotate_seconds", .ini_key = "rotate_seconds", .env = "ROTATE_SECONDS",
       .flag = "-G,--rotate-seconds", .value_name = "S",
       .help = "Also rotate a non-empty file after S seconds, by timer (0 = off, the default)", .default_value = "0",
       .reloadable = true, .field = stored_in<&C::rotate_seconds>(),
       .parse = parser<C>([](C& c, const std::string& v) {
         return parse_uint(v, 0, 31536000, "a whole number of seconds", &c.rotate_seconds);
       })},
      {.section = "capture", .name = "max_bytes", .ini_key = "max_bytes", .env = "MAX_BYTES", .flag = "--max-bytes",
       .value_name = "BYTES", .help = "Total byte budget of the ring, the file being written included (0 = none)",
       .default_value = "0", .reloadable = true, .field = stored_in<&C::max_bytes>(),
       .parse = parser<C>([](C& c, const std::string& v) {
         return parse_uint(v, 0, UINT64_MAX / 2, "a whole number of bytes", &c.max_bytes);
       })},
      // A retention limit like file_limit and max_bytes: the ring applies it on reload.
      {.section = "capture", .name = "min_free", .ini_key = "min_free", .env = "MIN_FREE", .flag = "--min-free",
       .value_name = "MB",
       .help = "Free space in millions of bytes to leave on the file system; oldest files go first (0 = none)",
       .default_value = "0", .reloadable = true, .field = stored_in<&C::min_free_mb>(),
       .parse = parser<C>([](C& c, const std::string& v) {
         return parse_uint(v, 0, 100000000, "a whole number of megabytes (10^6 bytes)", &c.min_free_mb);
       })},
  };
}

// [capture]: what is captured and how it is written.
std::vector<SettingSpec> packet_rows() {
  return {
      {.section = "capture", .name = "filter", .ini_key = "filter", .env = "FILTER", .flag = "--filter", .value_name = "BPF",
       .help = "Capture filter (pcap-filter syntax), compiled into the kernel", .reloadable = true,
       .field = stored_in<&C::filter>(), .parse = parser<C>([](C& c, const std::string& v) { return set_any(&c.filter, v); })},
      {.section = "capture", .name = "snaplen", .ini_key = "snaplen", .env = "SNAPLEN", .flag = "-s,--snaplen",
       .value_name = "N", .help = "Bytes kept of each packet (default 262144)", .default_value = "262144",
       .field = stored_in<&C::snaplen>(), .parse = parser<C>([](C& c, const std::string& v) {
         std::uint64_t n = 0;
         auto err = parse_uint(v, 1, 262144, "a number of bytes", &n);
         if (!err) c.snaplen = static_cast<std::uint32_t>(n);
         return err;
       })},
      {.section = "capture", .name = "buffer_size", .ini_key = "buffer_size", .env = "BUFFER_SIZE", .flag = "--buffer-size",
       .value_name = "MB", .help = "Kernel capture buffer in MiB (default 32)", .default_value = "32",
       .field = stored_in<&C::buffer_size_mb>(), .parse = parser<C>([](C& c, const std::string& v) {
         return parse_uint(v, 1, 4096, "a whole number of MiB", &c.buffer_size_mb);
       })},
      {.section = "capture", .name = "promisc", .ini_key = "promisc", .env = "PROMISC", .flag = "--promisc",
       .value_name = "yes|no", .help = "Promiscuous mode (default yes; --no-promisc turns it off)", .default_value = "yes",
       .field = stored_in<&C::promisc>(),
       .parse = parser<C>([](C& c, const std::string& v) { return parse_bool(v, &c.promisc); })},
      {.section = "capture", .name = "format", .ini_key = "format", .env = "FORMAT", .flag = "--format",
       .value_name = "pcap|pcapng", .help = "File format (default pcap)", .default_value = "pcap",
       .field = stored_in<&C::format>(), .parse = parser<C>([](C& c, const std::string& v) -> Problem {
         if (v == "pcap") c.format = FileFormat::kPcap;
         else if (v == "pcapng") c.format = FileFormat::kPcapng;
         else return "expected pcap or pcapng";
         return std::nullopt;
       })},
      {.section = "capture", .name = "tstamp", .ini_key = "tstamp", .env = "TSTAMP", .flag = "--tstamp",
       .value_name = "nano|micro", .help = "Timestamp precision in the files (default nano)", .default_value = "nano",
       .field = stored_in<&C::tstamp>(), .parse = parser<C>([](C& c, const std::string& v) -> Problem {
         if (v == "nano") c.tstamp = TimestampPrecision::kNano;
         else if (v == "micro") c.tstamp = TimestampPrecision::kMicro;
         else return "expected nano or micro";
         return std::nullopt;
       })},
  };
}

// [hooks], then the last [capture] rows and the configuration location, in --help order.
std::vector<SettingSpec> hooks_rows() {
  std::vector<SettingSpec> rows = {
      {.section = "hooks", .name = "hooks_dir", .ini_key = "hooks_dir", .env = "HOOKS_DIR", .flag = "--hooks-dir",
       .value_name = "DIR",
       .help = std::string("Executables run in lexical order on every finished file (default ") + kDefaultConfigDir +
               "/hooks.d)",
       .default_value = std::string(kDefaultConfigDir) + "/hooks.d", .reloadable = true,
       .field = stored_in<&C::hooks_dir>(),
       .parse = parser<C>([](C& c, const std::string& v) { return set_nonempty(&c.hooks_dir, v, "a directory"); })},
      {.section = "hooks", .name = "post_rotate", .ini_key = "post_rotate", .env = "POST_ROTATE", .flag = "-z,--post-rotate",
       .value_name = "CMD", .help = "Command run as 'CMD FILE' on every finished file after the hooks.d stages (tcpdump -z)",
       .reloadable = true, .field = stored_in<&C::post_rotate>(),
       .parse = parser<C>([](C& c, const std::string& v) { return set_any(&c.post_rotate, v); })},
      {.section = "hooks", .name = "hook_timeout", .ini_key = "timeout", .env = "HOOK_TIMEOUT", .flag = "--hook-timeout",
       .value_name = "S", .help = "Seconds a hook may run before SIGTERM, then SIGKILL (default 300)",
       .default_value = "300", .reloadable = true, .field = stored_in<&C::hook_timeout_seconds>(),
       .parse = parser<C>([](C& c, const std::string& v) {
         return parse_uint(v, 1, 86400, "a whole number of seconds", &c.hook_timeout_seconds);
       })},
      // The pipeline's worker count is fixed when it starts.
      {.section = "hooks", .name = "hook_jobs", .ini_key = "jobs", .env = "HOOK_JOBS", .flag = "--hook-jobs",
       .value_name = "N", .help = "Finished files in the hook pipeline at once (default 1)", .default_value = "1",
       .field = stored_in<&C::hook_jobs>(),
       .parse = parser<C>([](C& c, const std::string& v) { return parse_uint(v, 1, 64, "a number of files", &c.hook_jobs); })},
      {.section = "hooks", .name = "hook_backlog_bytes", .ini_key = "backlog_bytes", .env = "HOOK_BACKLOG_BYTES",
       .flag = "--hook-backlog-bytes", .value_name = "BYTES",
       .help = "Bytes of files waiting for hooks kept beyond the file limit (default: --max-bytes, else 2 x file-limit x file-size)",
       .default_value = "0", .reloadable = true, .field = stored_in<&C::hook_backlog_bytes>(),
       .parse = parser<C>([](C& c, const std::string& v) {
         return parse_uint(v, 0, UINT64_MAX / 2, "a whole number of bytes", &c.hook_backlog_bytes);
       })},
      {.section = "hooks", .name = "hook_drain", .ini_key = "drain_seconds", .env = "HOOK_DRAIN_SECONDS",
       .flag = "--hook-drain-seconds", .value_name = "S",
       .help = "At stop, seconds pending hooks may still run before they are ended and left for the next start (default 20)",
       .default_value = "20", .reloadable = true, .field = stored_in<&C::hook_drain_seconds>(),
       .parse = parser<C>([](C& c, const std::string& v) {
         return parse_uint(v, 0, 3600, "a whole number of seconds", &c.hook_drain_seconds);
       })},
      {.section = "hooks", .name = "hook_pass_environment", .ini_key = "pass_environment",
       .env = "HOOK_PASS_ENVIRONMENT", .flag = "--hook-pass-environment", .value_name = "NAMES",
       .help = "Names of the daemon's environment variables hooks also receive, separated by spaces",
       .reloadable = true, .field = stored_in<&C::hook_pass_environment>(),
       .parse = parser<C>([](C& c, const std::string& v) { return set_variable_names(&c.hook_pass_environment, v); })},
      {.section = "capture", .name = "direct_io", .ini_key = "direct_io", .env = "DIRECT_IO", .flag = "--direct-io",
       .value_name = "yes|no",
       .help = "Write whole blocks with O_DIRECT, bypassing the page cache, where the file system allows, "
               "instead of write-behind through the page cache (default no)",
       .default_value = "no", .field = stored_in<&C::direct_io>(),
       .parse = parser<C>([](C& c, const std::string& v) { return parse_bool(v, &c.direct_io); })},
      {.section = "capture", .name = "flow_index", .ini_key = "flow_index", .env = "FLOW_INDEX", .flag = "--flow-index",
       .value_name = "yes|no",
       .help = "Keep a flow index (hosts, ports, protocols, times) beside each finished file, built off the capture "
               "path and counted in the byte budget, so extract reads only what may match (default yes)",
       .default_value = "yes", .field = stored_in<&C::flow_index>(),
       .parse = parser<C>([](C& c, const std::string& v) { return parse_bool(v, &c.flow_index); })},
      {.section = "capture", .name = "metrics_file", .ini_key = "metrics_file", .env = "METRICS_FILE",
       .flag = "--metrics-file", .value_name = "PATH",
       .help = "Write Prometheus metrics (packets, drops, rotations, hook results) to PATH every few seconds",
       .reloadable = true, .field = stored_in<&C::metrics_file>(),
       .parse = parser<C>([](C& c, const std::string& v) { return set_any(&c.metrics_file, v); })},
      {.section = "capture", .name = "config", .flag = "--config", .value_name = "FILE",
       .help = "INI file read instead of CONFIG_DIR/packet-capture.conf", .field = stored_in<&C::config_file>(),
       .parse = parser<C>([](C& c, const std::string& v) { return set_nonempty(&c.config_file, v, "a file name"); })},
      {.section = "capture", .name = "config_dir", .env = "CONFIG_DIR", .flag = "--config-dir", .value_name = "DIR",
       .help = std::string("Directory of packet-capture.conf and IFACE.conf (default ") + kDefaultConfigDir + ")",
       .default_value = kDefaultConfigDir, .field = stored_in<&C::config_dir>(),
       .parse = parser<C>([](C& c, const std::string& v) { return set_nonempty(&c.config_dir, v, "a directory"); })},
  };
  return rows;
}

using CS = CloudSharkSettings;

std::vector<SettingSpec> cloudshark_rows() {
  return {
      {.section = "cloudshark", .name = "url", .ini_key = "url", .env = "CLOUDSHARK_URL", .flag = "--url",
       .help = "CloudShark base URL, e.g. https://cloudshark.example.com",
       .parse = parser<CS>([](CS& s, const std::string& v) { return set_url(&s.url, v); })},
      {.section = "cloudshark", .name = "token_file", .ini_key = "token_file", .flag = "--token-file",
       .help = "File holding the API token (root-only)",
       .parse = parser<CS>([](CS& s, const std::string& v) { return set_nonempty(&s.token_file, v, "a file name"); })},
      {.section = "cloudshark", .name = "ca_file", .ini_key = "ca_file", .flag = "--ca-file",
       .help = "CA certificates (PEM) to verify the server with",
       .parse = parser<CS>([](CS& s, const std::string& v) { return set_nonempty(&s.ca_file, v, "a file name"); })},
      {.section = "cloudshark", .name = "verify", .ini_key = "verify", .flag = "--verify",
       .help = "Verify the server's TLS certificate (default yes)", .default_value = "yes",
       .parse = parser<CS>([](CS& s, const std::string& v) { return parse_bool(v, &s.verify); })},
      {.section = "cloudshark", .name = "timeout", .ini_key = "timeout", .flag = "--timeout",
       .help = "Seconds one request may take (default 600)", .default_value = "600",
       .parse = parser<CS>([](CS& s, const std::string& v) {
         return parse_uint(v, 1, 86400, "a whole number of seconds", &s.timeout_seconds);
       })},
      {.section = "cloudshark", .name = "ring", .ini_key = "ring", .flag = "--ring",
       .help = "yes: keep CloudShark a mirror of the ring (delete uploads beyond ring_size)", .default_value = "no",
       .parse = parser<CS>([](CS& s, const std::string& v) { return parse_bool(v, &s.ring); })},
      {.section = "cloudshark", .name = "ring_size", .ini_key = "ring_size", .flag = "--ring-size",
       .help = "Files of this ring to keep on CloudShark in ring mode (default 10)", .default_value = "10",
       .parse = parser<CS>([](CS& s, const std::string& v) {
         return parse_uint(v, 1, 1000000, "a whole number of files", &s.ring_size);
       })},
      {.section = "cloudshark", .name = "tags", .ini_key = "tags", .flag = "--tags",
       .help = "Extra tags for every upload, comma-separated",
       .parse = parser<CS>([](CS& s, const std::string& v) { return set_tags(&s.tags, v); })},
  };
}

std::vector<SettingSpec> s3_rows() {
  return {
      {.section = "s3", .name = "endpoint", .ini_key = "endpoint", .env = "S3_ENDPOINT", .flag = "--endpoint",
       .help = "S3 endpoint URL (default AWS: https://s3.REGION.amazonaws.com)",
       .parse = parser<S3Settings>([](S3Settings& s, const std::string& v) { return set_url(&s.endpoint, v); })},
      {.section = "s3", .name = "region", .ini_key = "region", .env = "S3_REGION", .flag = "--region",
       .help = "Signing region (default us-east-1)", .default_value = "us-east-1",
       .parse = parser<S3Settings>([](S3Settings& s, const std::string& v) -> Problem {
         if (v.empty() || v.find_first_of(":/ ") != std::string::npos) return "expected a region name such as us-east-1";
         s.region = v;
         return std::nullopt;
       })},
      {.section = "s3", .name = "bucket", .ini_key = "bucket", .env = "S3_BUCKET", .flag = "--bucket", .help = "Bucket name",
       .parse = parser<S3Settings>([](S3Settings& s, const std::string& v) -> Problem {
         if (v.size() < 3 || v.size() > 63 || v.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-") != std::string::npos)
           return "expected a bucket name: 3 to 63 lower-case letters, digits, '.' or '-'";
         s.bucket = v;
         return std::nullopt;
       })},
      {.section = "s3", .name = "key_template", .ini_key = "key_template", .env = "S3_KEY_TEMPLATE", .flag = "--key-template",
       .help = "Object key; placeholders {prefix} {host} {iface} {filename} {sequence} (default {prefix}/{host}/{iface}/{filename})",
       .default_value = "{prefix}/{host}/{iface}/{filename}",
       .parse = parser<S3Settings>([](S3Settings& s, const std::string& v) -> Problem {
         if (auto p = check_key_template(v)) return p;
         s.key_template = v;
         return std::nullopt;
       })},
      {.section = "s3", .name = "prefix", .ini_key = "prefix", .env = "S3_PREFIX", .flag = "--prefix",
       .help = "Value of {prefix} in the key (default empty)",
       .parse = parser<S3Settings>([](S3Settings& s, const std::string& v) { return set_any(&s.prefix, v); })},
      {.section = "s3", .name = "access_key_id_file", .ini_key = "access_key_id_file", .flag = "--access-key-id-file",
       .help = "File holding the access key id (root-only)",
       .parse = parser<S3Settings>([](S3Settings& s, const std::string& v) {
         return set_nonempty(&s.access_key_id_file, v, "a file name");
       })},
      {.section = "s3", .name = "secret_access_key_file", .ini_key = "secret_access_key_file",
       .flag = "--secret-access-key-file", .help = "File holding the secret access key (root-only)",
       .parse = parser<S3Settings>([](S3Settings& s, const std::string& v) {
         return set_nonempty(&s.secret_access_key_file, v, "a file name");
       })},
      {.section = "s3", .name = "path_style", .ini_key = "path_style", .flag = "--path-style",
       .help = "yes: https://endpoint/bucket/key; no: https://bucket.endpoint/key",
       .parse = parser<S3Settings>([](S3Settings& s, const std::string& v) -> Problem {
         bool b = false;
         if (auto p = parse_bool(v, &b)) return p;
         s.path_style = b;
         return std::nullopt;
       })},
      {.section = "s3", .name = "multipart_threshold_mb", .ini_key = "multipart_threshold_mb",
       .flag = "--multipart-threshold-mb", .help = "Multipart upload above this many MiB (default 64)", .default_value = "64",
       .parse = parser<S3Settings>([](S3Settings& s, const std::string& v) {
         return parse_uint(v, 1, 5120, "a whole number of MiB", &s.multipart_threshold_mb);
       })},
      {.section = "s3", .name = "part_size_mb", .ini_key = "part_size_mb", .flag = "--part-size-mb",
       .help = "Multipart part size in MiB (default 16, at least 5)", .default_value = "16",
       .parse = parser<S3Settings>([](S3Settings& s, const std::string& v) {
         return parse_uint(v, 5, 5120, "a whole number of MiB", &s.part_size_mb);
       })},
      {.section = "s3", .name = "ca_file", .ini_key = "ca_file", .flag = "--ca-file",
       .help = "CA certificates (PEM) to verify the endpoint with",
       .parse = parser<S3Settings>([](S3Settings& s, const std::string& v) { return set_nonempty(&s.ca_file, v, "a file name"); })},
      {.section = "s3", .name = "verify", .ini_key = "verify", .flag = "--verify",
       .help = "Verify the endpoint's TLS certificate (default yes)", .default_value = "yes",
       .parse = parser<S3Settings>([](S3Settings& s, const std::string& v) { return parse_bool(v, &s.verify); })},
      {.section = "s3", .name = "timeout", .ini_key = "timeout", .flag = "--timeout",
       .help = "Seconds one request may take (default 600)", .default_value = "600",
       .parse = parser<S3Settings>([](S3Settings& s, const std::string& v) {
         return parse_uint(v, 1, 86400, "a whole number of seconds", &s.timeout_seconds);
       })},
  };
}

using SU = SuricataSettings;

std::vector<SettingSpec> suricata_rows() {
  return {
      {.section = "suricata", .name = "socket", .ini_key = "socket", .env = "SURICATA_SOCKET", .flag = "--socket",
       .help = std::string("Suricata's unix command socket (default ") + kDefaultSuricataSocket + "; env SURICATA_SOCKET)",
       .default_value = kDefaultSuricataSocket,
       .parse = SettingParser<SU>([](SU& s, const std::string& v, Source source) -> Problem {
         if (auto p = set_suricata_path(&s.socket_path, v, kDefaultSuricataSocket, source)) return p;
         if (s.socket_path.size() >= sizeof(sockaddr_un{}.sun_path))
           return "path too long for a unix socket (max " + std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) + " bytes)";
         return std::nullopt;
       })},
      {.section = "suricata", .name = "output_dir", .ini_key = "output_dir", .flag = "--output-dir",
       .help = "Directory Suricata logs this file's alerts into (socket mode)",
       .parse = SettingParser<SU>([](SU& s, const std::string& v, Source source) {
         return set_suricata_path(&s.output_dir, v, "", source);
       })},
      {.section = "suricata", .name = "continuous_dir", .ini_key = "continuous_dir", .env = "SURICATA_CONTINUOUS_DIR",
       .flag = "--continuous-dir",
       .help = "Link the file into this directory for `suricata -r DIR --pcap-file-continuous` instead "
               "(env SURICATA_CONTINUOUS_DIR)",
       .parse = SettingParser<SU>([](SU& s, const std::string& v, Source source) {
         return set_suricata_path(&s.continuous_dir, v, "", source);
       })},
      {.section = "suricata", .name = "timeout", .ini_key = "timeout", .flag = "--timeout",
       .help = "Seconds to wait for Suricata's replies (default 30)", .default_value = "30",
       .parse = parser<SU>([](SU& s, const std::string& v) { return set_suricata_seconds(&s.timeout_seconds, v); })},
  };
}

using A = AgentSettings;

// A Redis key or channel name the agent reads or writes: printable, no spaces.
Problem set_bus_name(std::string* field, const std::string& v, bool may_be_empty) {
  if (v.empty() && may_be_empty) {
    field->clear();
    return std::nullopt;
  }
  bool printable = !v.empty() && v.size() <= 128 &&
                   std::all_of(v.begin(), v.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; });
  if (!printable) return "expected 1-128 printable characters without spaces";
  *field = v;
  return std::nullopt;
}

// An http(s) URL of an AWS endpoint or queue.
Problem set_http_url(std::string* field, const std::string& v) {
  const bool printable = std::all_of(v.begin(), v.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; });
  if ((v.rfind("https://", 0) != 0 && v.rfind("http://", 0) != 0) || v.size() > 1024 || !printable)
    return "expected an http:// or https:// URL";
  *field = v;
  return std::nullopt;
}

// Kafka's rule for topic names.
Problem set_kafka_topic(std::string* field, const std::string& v) {
  bool valid = !v.empty() && v.size() <= 249 && v != "." && v != ".." && std::all_of(v.begin(), v.end(), [](unsigned char c) {
                 return std::isalnum(c) || c == '.' || c == '_' || c == '-';
               });
  if (!valid) return "expected a Kafka topic name: 1-249 letters, digits, '.', '_' or '-'";
  *field = v;
  return std::nullopt;
}

Problem set_absolute_path(std::string* field, const std::string& v) {
  if (v.empty() || v.front() != '/') return "expected an absolute path";
  *field = std::filesystem::path(v).lexically_normal().string();
  if (field->size() > 1 && field->back() == '/') field->pop_back();
  return std::nullopt;
}

// "uplink=eth0,eth1 dmz=bond1": alias names and the interfaces of this node they stand for.
Problem set_aliases(std::map<std::string, std::vector<std::string>>* field, const std::string& v) {
  std::map<std::string, std::vector<std::string>> aliases;
  std::istringstream words(v);
  std::string word;
  auto valid_name = [](const std::string& name, std::size_t longest) {
    return !name.empty() && name.size() <= longest && name.front() != '.' &&
           std::all_of(name.begin(), name.end(), [](unsigned char c) {
             return std::isalnum(c) || c == '.' || c == '_' || c == '-' || c == '@' || c == ':';
           });
  };
  while (words >> word) {
    const auto eq = word.find('=');
    const std::string name = word.substr(0, eq);
    if (eq == std::string::npos || !valid_name(name, 64))
      return "'" + word + "' is not ALIAS=IFACE[,IFACE...] (an alias of 1-64 letters, digits, '.', '_', '-', '@' or ':')";
    if (aliases.count(name) != 0) return "alias '" + name + "' is defined twice";
    std::vector<std::string> interfaces;
    std::istringstream list(word.substr(eq + 1));
    std::string iface;
    while (std::getline(list, iface, ',')) {
      if (!valid_name(iface, 15)) return "alias '" + name + "': '" + iface + "' is not an interface name (1-15 characters)";
      interfaces.push_back(iface);
    }
    if (interfaces.empty()) return "alias '" + name + "' names no interface";
    aliases[name] = std::move(interfaces);
  }
  *field = std::move(aliases);
  return std::nullopt;
}

std::vector<SettingSpec> agent_rows() {
  return {
      {.section = "agent", .name = "node", .ini_key = "node", .env = "AGENT_NODE", .flag = "--node", .value_name = "NAME",
       .help = "This node's name in requests (default: the host name)",
       .parse = parser<A>([](A& s, const std::string& v) -> Problem {
         if (v.empty() || v.size() > 253 || !is_valid_name_part(v))
           return "expected a node name of 1-253 characters without '/' and not starting with '.'";
         s.node = v;
         return std::nullopt;
       })},
      {.section = "agent", .name = "aliases", .ini_key = "aliases", .env = "AGENT_ALIASES", .value_name = "ALIAS=IFACE,...",
       .help = "Interface aliases a request's alias list may name, e.g. 'uplink=eth0,eth1 dmz=bond1'",
       .parse = parser<A>([](A& s, const std::string& v) { return set_aliases(&s.aliases, v); })},
      {.section = "agent", .name = "trusted_keys_dir", .ini_key = "trusted_keys_dir", .flag = "--trusted-keys-dir",
       .value_name = "DIR", .help = "Public keys (KID.pub) and HMAC secrets (KID.hmac) requests may be signed with",
       .default_value = std::string(kDefaultConfigDir) + "/trusted-keys.d",
       .parse = parser<A>([](A& s, const std::string& v) { return set_absolute_path(&s.trusted_keys_dir, v); })},
      {.section = "agent", .name = "state_dir", .ini_key = "state_dir", .flag = "--state-dir", .value_name = "DIR",
       .help = "Where the agent keeps the ids it accepted and its request journal",
       .default_value = std::string(kDefaultStateRoot) + "/agent",
       .parse = parser<A>([](A& s, const std::string& v) { return set_absolute_path(&s.state_dir, v); })},
      {.section = "agent", .name = "results_dir", .ini_key = "results_dir", .flag = "--results-dir", .value_name = "DIR",
       .help = "The 'directory' destination: results go to DIR/requests/YYYY/MM/DD/ID/NODE/IFACE/",
       .default_value = std::string(kDefaultStateRoot) + "/requests",
       .parse = parser<A>([](A& s, const std::string& v) { return set_absolute_path(&s.results_dir, v); })},
      {.section = "agent", .name = "default_destination", .ini_key = "default_destination",
       .help = "Destination of a request that names none (default directory)", .default_value = "directory",
       .parse = parser<A>([](A& s, const std::string& v) -> Problem {
         if (v != "directory" && v != "s3" && v != "cloudshark")
           return "expected directory, s3 (needs a bucket in [s3]) or cloudshark (needs a url in [cloudshark])";
         s.default_destination = v;
         return std::nullopt;
       })},
      {.section = "agent", .name = "allow_unsigned", .ini_key = "allow_unsigned",
       .help = "Accept unsigned pcapdaemon requests (default no; anyone who can publish may then command the node)",
       .default_value = "no", .parse = parser<A>([](A& s, const std::string& v) { return parse_bool(v, &s.allow_unsigned); })},
      {.section = "agent", .name = "on_demand", .ini_key = "on_demand",
       .help = "Capture live requests on interfaces that have no ring (default no; needs CAP_NET_RAW)",
       .default_value = "no", .parse = parser<A>([](A& s, const std::string& v) { return parse_bool(v, &s.on_demand); })},
      {.section = "agent", .name = "max_skew", .ini_key = "max_skew", .help = "Seconds a request's ts may differ from this clock (default 120)",
       .default_value = "120", .parse = parser<A>([](A& s, const std::string& v) {
         return parse_uint(v, 1, 86400, "a whole number of seconds", &s.max_skew_seconds);
       })},
      {.section = "agent", .name = "max_packets", .ini_key = "max_packets", .help = "Most packets one request may ask for (default 50000)",
       .default_value = "50000", .parse = parser<A>([](A& s, const std::string& v) {
         return parse_uint(v, 1, UINT64_MAX / 2, "a whole number of packets", &s.max_packets);
       })},
      {.section = "agent", .name = "max_bytes", .ini_key = "max_bytes", .help = "Most bytes one request's result may hold (default 100000000)",
       .default_value = "100000000", .parse = parser<A>([](A& s, const std::string& v) {
         return parse_uint(v, 1, UINT64_MAX / 2, "a whole number of bytes", &s.max_bytes);
       })},
      {.section = "agent", .name = "max_duration", .ini_key = "max_duration",
       .help = "Longest window one request may ask for, in seconds (default 3600)", .default_value = "3600",
       .parse = parser<A>([](A& s, const std::string& v) {
         return parse_uint(v, 1, 7 * 86400, "a whole number of seconds", &s.max_duration_seconds);
       })},
      {.section = "agent", .name = "max_timeout", .ini_key = "max_timeout",
       .help = "Longest idle timeout one request may ask for, in seconds (default 3600)", .default_value = "3600",
       .parse = parser<A>([](A& s, const std::string& v) {
         return parse_uint(v, 1, 7 * 86400, "a whole number of seconds", &s.max_timeout_seconds);
       })},
      {.section = "agent", .name = "max_concurrent", .ini_key = "max_concurrent", .flag = "--max-concurrent",
       .value_name = "N", .help = "Requests answered at once (default 2)", .default_value = "2",
       .parse = parser<A>([](A& s, const std::string& v) {
         return parse_uint(v, 1, 64, "a whole number of requests", &s.max_concurrent);
       })},
      {.section = "agent", .name = "queue_size", .ini_key = "queue_size",
       .help = "Requests waiting beyond max_concurrent; more are answered busy (default 16)", .default_value = "16",
       .parse = parser<A>([](A& s, const std::string& v) {
         return parse_uint(v, 0, 10000, "a whole number of requests", &s.queue_size);
       })},
      {.section = "agent", .name = "bus", .ini_key = "bus", .env = "AGENT_BUS", .flag = "--bus", .value_name = "BUS",
       .help = "Where requests come from and answers go: redis, kafka or sqs (default redis)", .default_value = "redis",
       .parse = parser<A>([](A& s, const std::string& v) -> Problem {
         if (v != "redis" && v != "kafka" && v != "sqs") return "expected redis, kafka or sqs";
         s.bus = v;
         return std::nullopt;
       })},
      {.section = "redis", .name = "redis_host", .ini_key = "host", .env = "REDIS_HOST", .flag = "--redis-host",
       .value_name = "HOST", .help = "Redis server (default 127.0.0.1)", .default_value = "127.0.0.1",
       .parse = parser<A>([](A& s, const std::string& v) { return set_nonempty(&s.redis_host, v, "a host name or address"); })},
      {.section = "redis", .name = "redis_port", .ini_key = "port", .env = "REDIS_PORT", .flag = "--redis-port",
       .value_name = "PORT", .help = "Redis port (default 6379)", .default_value = "6379",
       .parse = parser<A>([](A& s, const std::string& v) { return parse_uint(v, 1, 65535, "a TCP port", &s.redis_port); })},
      {.section = "redis", .name = "redis_user", .ini_key = "user", .env = "REDIS_USER", .flag = "--redis-user",
       .value_name = "USER", .help = "Redis ACL user (default: the default user)",
       .parse = parser<A>([](A& s, const std::string& v) { return set_bus_name(&s.redis_user, v, true); })},
      {.section = "redis", .name = "redis_password_file", .ini_key = "password_file", .flag = "--redis-password-file",
       .value_name = "FILE", .help = "File holding the Redis password (root-only; or the credential redis-password)",
       .parse = parser<A>([](A& s, const std::string& v) { return set_nonempty(&s.redis_password_file, v, "a file name"); })},
      {.section = "redis", .name = "redis_timeout", .ini_key = "timeout",
       .help = "Seconds to connect or for one command (default 5)", .default_value = "5",
       .parse = parser<A>([](A& s, const std::string& v) {
         return parse_uint(v, 1, 600, "a whole number of seconds", &s.redis_timeout_seconds);
       })},
      {.section = "redis", .name = "redis_tls", .ini_key = "tls", .env = "REDIS_TLS", .flag = "--redis-tls",
       .value_name = "yes|no", .help = "TLS to Redis (the server's tls-port), its certificate verified (default no)",
       .default_value = "no",
       .parse = parser<A>([](A& s, const std::string& v) { return parse_bool(v, &s.redis_tls.enabled); })},
      {.section = "redis", .name = "redis_tls_ca_file", .ini_key = "tls_ca_file", .flag = "--redis-tls-ca-file",
       .value_name = "FILE", .help = "CA certificates (PEM) that may sign the Redis server's (default: the system's)",
       .parse = parser<A>([](A& s, const std::string& v) { return set_absolute_path(&s.redis_tls.ca_file, v); })},
      {.section = "redis", .name = "redis_tls_cert_file", .ini_key = "tls_cert_file", .flag = "--redis-tls-cert-file",
       .value_name = "FILE", .help = "Client certificate (PEM) for a server with tls-auth-clients",
       .parse = parser<A>([](A& s, const std::string& v) { return set_absolute_path(&s.redis_tls.cert_file, v); })},
      {.section = "redis", .name = "redis_tls_key_file", .ini_key = "tls_key_file", .flag = "--redis-tls-key-file",
       .value_name = "FILE", .help = "The client certificate's private key (PEM)",
       .parse = parser<A>([](A& s, const std::string& v) { return set_absolute_path(&s.redis_tls.key_file, v); })},
      {.section = "redis", .name = "redis_tls_server_name", .ini_key = "tls_server_name", .flag = "--redis-tls-server-name",
       .value_name = "NAME", .help = "Name the server's certificate must carry (default: [redis] host)",
       .parse = parser<A>([](A& s, const std::string& v) { return set_nonempty(&s.redis_tls.server_name, v, "a host name or address"); })},
      {.section = "redis", .name = "request_stream", .ini_key = "stream", .flag = "--stream", .value_name = "KEY",
       .help = "Stream requests are read from, by a consumer group named after the node (default pcap:req)",
       .default_value = "pcap:req",
       .parse = parser<A>([](A& s, const std::string& v) { return set_bus_name(&s.request_stream, v, false); })},
      {.section = "redis", .name = "channel", .ini_key = "channel", .flag = "--channel", .value_name = "NAME",
       .help = "pcapdaemon's pub/sub channel (default capture; empty: none)", .default_value = "capture",
       .parse = parser<A>([](A& s, const std::string& v) { return set_bus_name(&s.channel, v, true); })},
      {.section = "redis", .name = "reply_stream", .ini_key = "reply_stream", .flag = "--reply-stream", .value_name = "KEY",
       .help = "Stream answers go to; a request's reply_to may only name it or KEY:SUFFIX (default pcap:ack)",
       .default_value = "pcap:ack",
       .parse = parser<A>([](A& s, const std::string& v) { return set_bus_name(&s.reply_stream, v, false); })},
      {.section = "kafka", .name = "kafka_brokers", .ini_key = "brokers", .env = "KAFKA_BROKERS", .flag = "--kafka-brokers",
       .value_name = "HOST:PORT,...", .help = "Kafka bootstrap brokers (default 127.0.0.1:9092)",
       .default_value = "127.0.0.1:9092",
       .parse = parser<A>([](A& s, const std::string& v) { return set_bus_name(&s.kafka_brokers, v, false); })},
      {.section = "kafka", .name = "kafka_topic", .ini_key = "topic", .flag = "--kafka-topic", .value_name = "TOPIC",
       .help = "Topic requests are read from, by a consumer group named after the node (default pcap.req)",
       .default_value = "pcap.req",
       .parse = parser<A>([](A& s, const std::string& v) { return set_kafka_topic(&s.kafka_topic, v); })},
      {.section = "kafka", .name = "kafka_reply_topic", .ini_key = "reply_topic", .flag = "--kafka-reply-topic",
       .value_name = "TOPIC", .help = "Topic answers go to; a request's reply_to may only name it or TOPIC.SUFFIX (default pcap.ack)",
       .default_value = "pcap.ack",
       .parse = parser<A>([](A& s, const std::string& v) { return set_kafka_topic(&s.kafka_reply_topic, v); })},
      {.section = "kafka", .name = "kafka_timeout", .ini_key = "timeout",
       .help = "Seconds for one Kafka operation (default 10)", .default_value = "10",
       .parse = parser<A>([](A& s, const std::string& v) {
         return parse_uint(v, 1, 600, "a whole number of seconds", &s.kafka_timeout_seconds);
       })},
      {.section = "kafka", .name = "kafka_tls", .ini_key = "tls", .env = "KAFKA_TLS", .flag = "--kafka-tls",
       .value_name = "yes|no", .help = "TLS to the brokers (security.protocol ssl), their certificates and names verified (default no)",
       .default_value = "no",
       .parse = parser<A>([](A& s, const std::string& v) { return parse_bool(v, &s.kafka_tls.enabled); })},
      {.section = "kafka", .name = "kafka_tls_ca_file", .ini_key = "tls_ca_file", .flag = "--kafka-tls-ca-file",
       .value_name = "FILE", .help = "CA certificates (PEM) that may sign the brokers' (default: the system's)",
       .parse = parser<A>([](A& s, const std::string& v) { return set_absolute_path(&s.kafka_tls.ca_file, v); })},
      {.section = "kafka", .name = "kafka_tls_cert_file", .ini_key = "tls_cert_file", .flag = "--kafka-tls-cert-file",
       .value_name = "FILE", .help = "Client certificate (PEM) for brokers that require one (ssl.client.auth)",
       .parse = parser<A>([](A& s, const std::string& v) { return set_absolute_path(&s.kafka_tls.cert_file, v); })},
      {.section = "kafka", .name = "kafka_tls_key_file", .ini_key = "tls_key_file", .flag = "--kafka-tls-key-file",
       .value_name = "FILE", .help = "The client certificate's private key (PEM)",
       .parse = parser<A>([](A& s, const std::string& v) { return set_absolute_path(&s.kafka_tls.key_file, v); })},
      {.section = "sqs", .name = "sqs_region", .ini_key = "region", .env = "SQS_REGION", .flag = "--sqs-region",
       .value_name = "REGION", .help = "AWS region of the queues and topic (default us-east-1)", .default_value = "us-east-1",
       .parse = parser<A>([](A& s, const std::string& v) { return set_bus_name(&s.sqs_region, v, false); })},
      {.section = "sqs", .name = "sqs_queue_url", .ini_key = "queue_url", .env = "SQS_QUEUE_URL", .flag = "--sqs-queue-url",
       .value_name = "URL", .help = "This node's request queue (senders without a topic send to it)",
       .parse = parser<A>([](A& s, const std::string& v) { return set_http_url(&s.sqs_queue_url, v); })},
      {.section = "sqs", .name = "sqs_reply_queue_url", .ini_key = "reply_queue_url", .flag = "--sqs-reply-queue-url",
       .value_name = "URL", .help = "Queue answers go to (a request's reply_to may only name it)",
       .parse = parser<A>([](A& s, const std::string& v) { return set_http_url(&s.sqs_reply_queue_url, v); })},
      {.section = "sqs", .name = "sqs_topic_arn", .ini_key = "topic_arn", .flag = "--sns-topic-arn", .value_name = "ARN",
       .help = "Senders: the SNS topic every node's queue subscribes to (default: send to queue_url)",
       .parse = parser<A>([](A& s, const std::string& v) { return set_bus_name(&s.sqs_topic_arn, v, true); })},
      {.section = "sqs", .name = "sqs_sns_endpoint", .ini_key = "sns_endpoint", .flag = "--sns-endpoint", .value_name = "URL",
       .help = "Senders: SNS endpoint (default https://sns.REGION.amazonaws.com)",
       .parse = parser<A>([](A& s, const std::string& v) { return set_http_url(&s.sqs_sns_endpoint, v); })},
      {.section = "sqs", .name = "sqs_wait", .ini_key = "wait", .help = "Seconds of one long poll (default 10, at most 20)",
       .default_value = "10", .parse = parser<A>([](A& s, const std::string& v) {
         return parse_uint(v, 1, 20, "a whole number of seconds", &s.sqs_wait_seconds);
       })},
      {.section = "sqs", .name = "sqs_access_key_id_file", .ini_key = "access_key_id_file", .value_name = "FILE",
       .help = "File holding the AWS access key id (root-only; or the credential sqs-access-key-id)",
       .parse = parser<A>([](A& s, const std::string& v) { return set_nonempty(&s.sqs_access_key_id_file, v, "a file name"); })},
      {.section = "sqs", .name = "sqs_secret_access_key_file", .ini_key = "secret_access_key_file", .value_name = "FILE",
       .help = "File holding the AWS secret access key (root-only; or the credential sqs-secret-access-key)",
       .parse = parser<A>([](A& s, const std::string& v) {
         return set_nonempty(&s.sqs_secret_access_key_file, v, "a file name");
       })},
  };
}

}  // namespace
}  // namespace pcap_ring
