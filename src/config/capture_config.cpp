#include "config/capture_config.h"

#include <unistd.h>

#include <cctype>
#include <charconv>
#include <filesystem>
#include <cstdio>
#include <cstring>
#include <sstream>

#include "cli/capture_flags.h"
#include "common/exit_codes.h"
#include "config/ini_file.h"
#include "ring/ring_names.h"
#include "config/setting_values.h"
#include "common/unique_fd.h"

extern char** environ;

namespace pcap_ring {
namespace {

using Result = Problem;

Result set_name_part(std::string* field, const std::string& v, const char* what) {
  if (!is_valid_name_part(v)) return std::string("expected ") + what + " without '/' and not starting with '.'";
  *field = v;
  return std::nullopt;
}

// "NAME NAME ...": environment variable names, as a shell would accept them.
Result parse_variable_names(const std::string& v, std::vector<std::string>* names) {
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

const std::vector<SettingSpec> kSettings = {
    {"interface", nullptr, "-i,--interface", "IFACE",
     "Interface to capture on; also names the ring's files", false,
     [](CaptureConfig& c, const std::string& v) { return set_name_part(&c.interface_name, v, "an interface name"); }},
    {"read", nullptr, "-r,--read", "FILE",
     "Read packets from a pcap/pcapng file instead of an interface (ring named after the file unless --interface is given)",
     false,
     [](CaptureConfig& c, const std::string& v) -> Result {
       if (v.empty()) return "expected a file name";
       c.read_file = v;
       return std::nullopt;
     }},
    {"output_dir", "OUTPUT_DIR", "-o,--output-dir", "DIR",
     "Ring directory (default /var/lib/packet-capture/IFACE)", true,
     [](CaptureConfig& c, const std::string& v) -> Result {
       if (v.empty()) return "expected a directory";
       c.output_dir = v;
       return std::nullopt;
     }},
    {"prefix", "PREFIX", "--prefix", "NAME", "File name prefix (default pcap)", true,
     [](CaptureConfig& c, const std::string& v) { return set_name_part(&c.prefix, v, "a prefix"); }},
    {"file_size", "FILESIZE", "-C,--file-size", "MB",
     "Rotate when a file reaches this many millions of bytes (default 25)", true,
     [](CaptureConfig& c, const std::string& v) {
       return parse_uint(v, 1, 1000000, "a whole number of megabytes (10^6 bytes)", &c.file_size_mb);
     }},
    {"file_limit", "FILELIMIT", "-W,--file-limit", "N",
     "Keep at most N ring files, the one being written included (default 10)", true,
     [](CaptureConfig& c, const std::string& v) {
       return parse_uint(v, 1, 100000000, "a whole number of files", &c.file_limit);
     }},
    {"rotate_seconds", "ROTATE_SECONDS", "-G,--rotate-seconds", "S",
     "Also rotate a non-empty file after S seconds, by timer (0 = off, the default)", true,
     [](CaptureConfig& c, const std::string& v) {
       return parse_uint(v, 0, 31536000, "a whole number of seconds", &c.rotate_seconds);
     }},
    {"max_bytes", "MAX_BYTES", "--max-bytes", "BYTES",
     "Total byte budget of the ring, the file being written included (0 = none)", true,
     [](CaptureConfig& c, const std::string& v) {
       return parse_uint(v, 0, UINT64_MAX / 2, "a whole number of bytes", &c.max_bytes);
     }},
    {"min_free", "MIN_FREE", "--min-free", "MB",
     "Free space in millions of bytes to leave on the file system; oldest files go first (0 = none)", true,
     [](CaptureConfig& c, const std::string& v) {
       return parse_uint(v, 0, 100000000, "a whole number of megabytes (10^6 bytes)", &c.min_free_mb);
     }},
    {"filter", "FILTER", "--filter", "BPF", "Capture filter (pcap-filter syntax), compiled into the kernel",
     true,
     [](CaptureConfig& c, const std::string& v) -> Result {
       c.filter = v;
       return std::nullopt;
     }},
    {"snaplen", "SNAPLEN", "-s,--snaplen", "N", "Bytes kept of each packet (default 262144)", true,
     [](CaptureConfig& c, const std::string& v) {
       std::uint64_t n = 0;
       auto err = parse_uint(v, 1, 262144, "a number of bytes", &n);
       if (!err) c.snaplen = static_cast<std::uint32_t>(n);
       return err;
     }},
    {"buffer_size", "BUFFER_SIZE", "--buffer-size", "MB", "Kernel capture buffer in MiB (default 32)", true,
     [](CaptureConfig& c, const std::string& v) {
       return parse_uint(v, 1, 4096, "a whole number of MiB", &c.buffer_size_mb);
     }},
    {"promisc", "PROMISC", "--promisc", "yes|no", "Promiscuous mode (default yes; --no-promisc turns it off)",
     true, [](CaptureConfig& c, const std::string& v) { return parse_bool(v, &c.promisc); }},
    {"format", "FORMAT", "--format", "pcap|pcapng", "File format (default pcap)", true,
     [](CaptureConfig& c, const std::string& v) -> Result {
       if (v == "pcap") c.format = FileFormat::kPcap;
       else if (v == "pcapng") c.format = FileFormat::kPcapng;
       else return "expected pcap or pcapng";
       return std::nullopt;
     }},
    {"tstamp", "TSTAMP", "--tstamp", "nano|micro", "Timestamp precision in the files (default nano)", true,
     [](CaptureConfig& c, const std::string& v) -> Result {
       if (v == "nano") c.tstamp = TimestampPrecision::kNano;
       else if (v == "micro") c.tstamp = TimestampPrecision::kMicro;
       else return "expected nano or micro";
       return std::nullopt;
     }},
    {"hooks_dir", "HOOKS_DIR", "--hooks-dir", "DIR",
     "Executables run in lexical order on every finished file (default /etc/packet-capture/hooks.d)", true,
     [](CaptureConfig& c, const std::string& v) -> Result {
       if (v.empty()) return "expected a directory";
       c.hooks_dir = v;
       return std::nullopt;
     },
     "hooks", "hooks_dir"},
    {"post_rotate", "POST_ROTATE", "-z,--post-rotate", "CMD",
     "Command run as 'CMD FILE' on every finished file after the hooks.d stages (tcpdump -z)", true,
     [](CaptureConfig& c, const std::string& v) -> Result {
       c.post_rotate = v;
       return std::nullopt;
     },
     "hooks", "post_rotate"},
    {"hook_timeout", "HOOK_TIMEOUT", "--hook-timeout", "S",
     "Seconds a hook may run before SIGTERM, then SIGKILL (default 300)", true,
     [](CaptureConfig& c, const std::string& v) {
       return parse_uint(v, 1, 86400, "a whole number of seconds", &c.hook_timeout_seconds);
     },
     "hooks", "timeout"},
    {"hook_jobs", "HOOK_JOBS", "--hook-jobs", "N", "Finished files in the hook pipeline at once (default 1)", true,
     [](CaptureConfig& c, const std::string& v) { return parse_uint(v, 1, 64, "a number of files", &c.hook_jobs); },
     "hooks", "jobs"},
    {"hook_backlog_bytes", "HOOK_BACKLOG_BYTES", "--hook-backlog-bytes", "BYTES",
     "Bytes of files waiting for hooks kept beyond the file limit (default: --max-bytes, else 2 x file-limit x file-size)",
     true,
     [](CaptureConfig& c, const std::string& v) {
       return parse_uint(v, 0, UINT64_MAX / 2, "a whole number of bytes", &c.hook_backlog_bytes);
     },
     "hooks", "backlog_bytes"},
    {"hook_drain", "HOOK_DRAIN_SECONDS", "--hook-drain-seconds", "S",
     "At stop, seconds pending hooks may still run before they are ended and left for the next start (default 20)",
     true,
     [](CaptureConfig& c, const std::string& v) {
       return parse_uint(v, 0, 3600, "a whole number of seconds", &c.hook_drain_seconds);
     },
     "hooks", "drain_seconds"},
    {"hook_pass_environment", "HOOK_PASS_ENVIRONMENT", "--hook-pass-environment", "NAMES",
     "Names of the daemon's environment variables hooks also receive, separated by spaces", true,
     [](CaptureConfig& c, const std::string& v) { return parse_variable_names(v, &c.hook_pass_environment); },
     "hooks", "pass_environment"},
    {"direct_io", "DIRECT_IO", "--direct-io", "yes|no",
     "Write whole blocks with O_DIRECT, bypassing the page cache, where the file system allows (default yes)",
     true, [](CaptureConfig& c, const std::string& v) { return parse_bool(v, &c.direct_io); }},
    {"metrics_file", "METRICS_FILE", "--metrics-file", "PATH",
     "Write Prometheus metrics (packets, drops, rotations, hook results) to PATH every few seconds", true,
     [](CaptureConfig& c, const std::string& v) -> Result {
       c.metrics_file = v;
       return std::nullopt;
     }},
    {"config", nullptr, "--config", "FILE",
     "INI file read instead of CONFIG_DIR/packet-capture.conf", false,
     [](CaptureConfig& c, const std::string& v) -> Result {
       if (v.empty()) return "expected a file name";
       c.config_file = v;
       return std::nullopt;
     }},
    {"config_dir", "CONFIG_DIR", "--config-dir", "DIR",
     "Directory of packet-capture.conf and IFACE.conf (default /etc/packet-capture)", false,
     [](CaptureConfig& c, const std::string& v) -> Result {
       if (v.empty()) return "expected a directory";
       c.config_dir = v;
       return std::nullopt;
     }},
};

const SettingSpec* find_setting(const std::string& key) {
  for (const auto& s : kSettings)
    if (key == s.key) return &s;
  return nullptr;
}

const SettingSpec* find_ini_setting(const std::string& section, const std::string& ini_key) {
  for (const auto& s : kSettings)
    if (s.in_ini && section == s.section && ini_key == (s.ini_key ? s.ini_key : s.key)) return &s;
  return nullptr;
}

std::string long_flag(const SettingSpec& s) {
  std::string f = s.flag;
  auto pos = f.find("--");
  return pos == std::string::npos ? f : f.substr(pos);
}

// Applies one layer of text settings, naming the source in any error.
void apply_layer(CaptureConfig& config, const RawSettings& layer, Source source) {
  for (const auto& [key, value] : layer.values) {
    const SettingSpec* spec = find_setting(key);
    if (!spec) throw UsageError("unknown setting " + key);
    if (auto err = spec->apply(config, value)) {
      if (source == Source::kCommandLine)
        throw UsageError(long_flag(*spec) + " '" + value + "': " + *err);
      throw ConfigError("ADDITIONAL_ARGS: " + long_flag(*spec) + " '" + value + "': " + *err);
    }
  }
}

void apply_environment(CaptureConfig& config, const std::map<std::string, std::string>& env) {
  for (const auto& spec : kSettings) {
    if (!spec.env) continue;
    auto it = env.find(spec.env);
    // An empty variable means "not set": the classic unit ships FILTER= and friends empty.
    if (it == env.end() || it->second.empty()) continue;
    if (auto err = spec.apply(config, it->second))
      throw ConfigError(std::string(spec.env) + "=" + it->second + ": " + *err);
  }
}

void apply_ini_file(CaptureConfig& config, const std::string& path, bool required) {
  auto file = read_ini_file(path, required);
  if (!file) return;
  for (const auto& e : file->entries) {
    const SettingSpec* spec = find_ini_setting(e.section, e.key);
    if (!spec) continue;  // a section another part of the product reads
    if (auto err = spec->apply(config, e.value))
      throw ConfigError(file->where(e) + e.key + " = " + e.value + ": " + *err);
  }
}

void validate(const CaptureConfig& c) {
  if (c.interface_name.empty())
    throw UsageError("no interface: give --interface IFACE (or --read FILE)");
  if (c.max_bytes != 0 && c.max_bytes < c.file_size_bytes())
    throw ConfigError("max_bytes " + std::to_string(c.max_bytes) + " is smaller than one file (" +
                      std::to_string(c.file_size_bytes()) +
                      " bytes); expected 0 (no budget) or at least file_size");
}

std::string stem_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  auto dot = base.find('.');
  if (dot != std::string::npos && dot > 0) base = base.substr(0, dot);
  if (!is_valid_name_part(base)) base = "read";
  return base;
}

}  // namespace

const std::vector<SettingSpec>& capture_settings() { return kSettings; }

RetentionLimits CaptureConfig::retention() const {
  RetentionLimits limits{file_limit, max_bytes, hook_backlog_bytes, min_free_mb * 1000000ULL};
  if (limits.backlog_bytes == 0)
    limits.backlog_bytes = max_bytes ? max_bytes : 2 * file_limit * file_size_bytes();
  return limits;
}

CaptureConfig load_capture_config(const RawSettings& command_line,
                                  const std::map<std::string, std::string>& environment) {
  // ADDITIONAL_ARGS are flags delivered through the environment: parsed like the command
  // line, ranked between the environment and the real command line.
  RawSettings additional;
  if (auto it = environment.find("ADDITIONAL_ARGS"); it != environment.end() && !it->second.empty()) {
    std::vector<std::string> words;
    if (!split_shell_words(it->second, &words))
      throw ConfigError("ADDITIONAL_ARGS=" + it->second + ": unterminated quote");
    std::string error;
    if (!parse_capture_flag_words(words, &additional, &error))
      throw ConfigError("ADDITIONAL_ARGS=" + it->second + ": " + error);
  }

  // Which files to read depends on the interface and config locations from the later layers.
  CaptureConfig locate;
  apply_environment(locate, environment);
  apply_layer(locate, additional, Source::kAdditionalArgs);
  apply_layer(locate, command_line, Source::kCommandLine);

  CaptureConfig config;
  config.config_dir = locate.config_dir;
  config.config_file = locate.config_file;
  if (!locate.config_file.empty()) {
    apply_ini_file(config, locate.config_file, /*required=*/true);
  } else {
    apply_ini_file(config, locate.config_dir + "/packet-capture.conf", false);
  }
  std::string ring_name = locate.interface_name.empty() && !locate.read_file.empty()
                              ? stem_of(locate.read_file)
                              : locate.interface_name;
  if (!ring_name.empty()) apply_ini_file(config, locate.config_dir + "/" + ring_name + ".conf", false);
  apply_environment(config, environment);
  apply_layer(config, additional, Source::kAdditionalArgs);
  apply_layer(config, command_line, Source::kCommandLine);

  if (config.interface_name.empty() && !config.read_file.empty()) config.interface_name = ring_name;
  if (config.output_dir.empty() && !config.interface_name.empty())
    config.output_dir = std::string(kDefaultStateRoot) + "/" + config.interface_name;
  // Hooks are promised absolute paths, whatever directory the daemon was started in.
  std::error_code ec;
  if (!config.output_dir.empty()) config.output_dir = std::filesystem::absolute(config.output_dir, ec).lexically_normal().string();
  if (!config.hooks_dir.empty()) config.hooks_dir = std::filesystem::absolute(config.hooks_dir, ec).lexically_normal().string();
  while (config.output_dir.size() > 1 && config.output_dir.back() == '/') config.output_dir.pop_back();
  validate(config);
  return config;
}

std::map<std::string, std::string> current_environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (eq) env.emplace(std::string(*e, static_cast<std::size_t>(eq - *e)), std::string(eq + 1));
  }
  return env;
}

bool split_shell_words(const std::string& text, std::vector<std::string>* words) {
  words->clear();
  std::string current;
  bool in_word = false;
  char quote = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quote == '\'') {
      if (c == '\'') quote = 0;
      else current += c;
    } else if (quote == '"') {
      if (c == '"') quote = 0;
      else if (c == '\\' && i + 1 < text.size() && std::strchr("\"\\$`", text[i + 1])) current += text[++i];
      else current += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == '\\' && i + 1 < text.size()) {
      current += text[++i];
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words->push_back(std::move(current));
      current.clear();
      in_word = false;
    } else {
      current += c;
      in_word = true;
    }
  }
  if (quote) return false;
  if (in_word) words->push_back(std::move(current));
  return true;
}

}  // namespace pcap_ring
