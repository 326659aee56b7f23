#include "cli/extract_command.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/ring_selection.h"
#include "common/exit_codes.h"
#include "common/io_priority.h"
#include "common/log.h"
#include "common/unique_fd.h"
#include "extract/extractor.h"
#include "ring/ring_names.h"

namespace pcap_ring {
namespace {

std::atomic<bool> g_stop{false};

void request_stop(int) { g_stop = true; }

struct ExtractArgs {
  std::vector<std::string> interfaces;
  std::vector<std::string> directories;
  std::string prefix;
  std::string config_dir;
  std::string from, to, last;
  std::string filter;
  std::vector<std::string> query_words;
  std::optional<std::uint64_t> max_packets, max_bytes;
  std::optional<std::uint32_t> snaplen;
  std::string format;
  std::string output;
  bool json = false;
  bool no_flow_index = false;
  std::string io_class = "idle";
  std::string host_name;  // empty: this host's name
};

std::vector<CatalogRing> find_rings(const ExtractArgs& a) {
  std::vector<CatalogRing> rings;
  auto add = [&](const std::string& dir, const std::string& prefix, const std::string& iface) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec))
      throw ConfigError("ring directory '" + dir + "' does not exist; expected a directory holding a ring");
    std::string error;
    auto found = catalog_rings(dir, prefix, iface, &error);
    if (!error.empty()) throw ConfigError(error);
    if (found.empty())
      throw ConfigError("no ring" + (iface.empty() ? std::string() : " of interface '" + iface + "'") +
                        (prefix.empty() ? std::string() : " with prefix '" + prefix + "'") + " in '" + dir + "'");
    rings.insert(rings.end(), found.begin(), found.end());
  };
  if (!a.directories.empty()) {
    for (const auto& dir : a.directories) {
      if (a.interfaces.empty()) add(dir, a.prefix, "");
      for (const auto& iface : a.interfaces) add(dir, a.prefix, iface);
    }
    return rings;
  }
  if (a.interfaces.empty()) throw UsageError("extract needs --interface IFACE or --output-dir DIR");
  for (const auto& iface : a.interfaces) {
    RingSelection selection{"", iface, a.prefix, a.config_dir};
    auto location = locate_ring(selection);
    add(location->directory, location->prefix, iface);
  }
  return rings;
}

// The output file is written under a temporary name beside it and renamed when complete, so
// no reader ever takes a half-written extraction for a whole one.
struct OutputFile {
  UniqueFd fd;
  std::string temporary;
};

OutputFile open_output(const std::string& path) {
  if (path == "-") return {UniqueFd(::dup(STDOUT_FILENO)), ""};
  // A device or a FIFO (/dev/null, a named pipe) is written to as it is: renaming a file over
  // it would replace it.
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    if (S_ISDIR(st.st_mode)) throw UsageError("-w '" + path + "': is a directory; expected a file path or -");
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd.valid()) throw UsageError("-w '" + path + "': cannot open: " + errno_text(errno));
    return {std::move(fd), ""};
  }
  std::filesystem::path target(path);
  std::string dir = target.has_parent_path() ? target.parent_path().string() : ".";
  if (target.filename().empty()) throw UsageError("-w '" + path + "': names no file; expected a file path or -");
  std::string temporary = dir + "/." + target.filename().string() + ".XXXXXX";
  std::vector<char> name(temporary.begin(), temporary.end());
  name.push_back('\0');
  UniqueFd fd(::mkostemp(name.data(), O_CLOEXEC));
  if (!fd.valid())
    throw UsageError("-w '" + path + "': cannot create the output file: " + errno_text(errno) +
                     "; expected a writable path or - for standard output");
  if (::fchmod(fd.get(), 0640) != 0) {
    int err = errno;
    ::unlink(name.data());
    throw UsageError("-w '" + path + "': cannot set its mode: " + errno_text(err));
  }
  return {std::move(fd), std::string(name.data())};
}

void handle_signals() {
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, nullptr);  // a closed pipe is a write error, reported
  struct sigaction stop {};
  stop.sa_handler = request_stop;
  ::sigaction(SIGINT, &stop, nullptr);
  ::sigaction(SIGTERM, &stop, nullptr);
}

std::string host_name() {
  char name[HOST_NAME_MAX + 1] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "localhost";
  return name;
}

int run_extract(const ExtractArgs& a) {
  TimeWindow window = make_time_window(a.from, a.to, a.last, SystemClock().now());
  std::string filter = a.filter;
  for (const auto& word : a.query_words) filter += (filter.empty() ? "" : " ") + word;
  if (!a.filter.empty() && !a.query_words.empty())
    throw UsageError("give the filter either with --filter or as words after the options, not both");
  ExtractRequest request;
  request.rings = find_rings(a);
  request.window = window;
  request.filter = filter;
  request.limits = {a.max_packets, a.max_bytes, a.snaplen};
  if (!a.format.empty()) request.format = a.format == "pcapng" ? FileFormat::kPcapng : FileFormat::kPcap;
  request.use_flow_index = !a.no_flow_index;
  request.host_name = a.host_name.empty() ? host_name() : a.host_name;
  request.stop = &g_stop;
  if (a.io_class == "idle") {
    if (int err = set_idle_io_priority()) log::warning("cannot lower the I/O priority: " + errno_text(err));
  }
  handle_signals();

  OutputFile out = open_output(a.output);
  ExtractReport report;
  try {
    report = extract(request, out.fd.get());
  } catch (...) {
    if (!out.temporary.empty()) ::unlink(out.temporary.c_str());
    throw;
  }
  int status = kExitOk;
  if (!out.temporary.empty()) {
    if (report.error.empty() && ::rename(out.temporary.c_str(), a.output.c_str()) != 0)
      report.error = "cannot rename the output into place: " + errno_text(errno);
    if (!report.error.empty()) ::unlink(out.temporary.c_str());
  }
  if (!report.error.empty()) status = EX_IOERR;
  for (const auto& w : report.warnings) log::warning(w);
  if (a.json)
    std::cerr << report_json(report).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  else
    std::cerr << report_text(report);
  if (!report.error.empty()) log::error("extract: " + report.error);
  return status;
}

}  // namespace

Subcommand add_extract_command(CLI::App& app) {
  auto a = std::make_shared<ExtractArgs>();
  CLI::App* cmd = app.add_subcommand("extract", "Cut a time window (and a filter) out of one or more rings");
  cmd->add_option("-i,--interface", a->interfaces, "Ring of this interface, located by its configuration (repeatable)");
  cmd->add_option("-o,--output-dir", a->directories, "Ring directory: every ring in it, or those of --interface (repeatable)");
  cmd->add_option("--prefix", a->prefix, "Only rings with this prefix");
  cmd->add_option("--config-dir", a->config_dir, "Directory of packet-capture.conf and IFACE.conf");
  cmd->add_option("--from", a->from, "Window start: RFC 3339 (any fraction, Z or +hh:mm) or Unix seconds");
  cmd->add_option("--to", a->to, "Window end (excluded); in the future: follow the ring until it has passed");
  cmd->add_option("--last", a->last, "Window of the last 90s, 5m, 2h (ending now)");
  cmd->add_option("-f,--filter", a->filter, "pcap-filter expression applied to every packet");
  cmd->add_option("query", a->query_words, "The filter as words after the options (as tcpdump takes it)");
  cmd->add_option("--max-packets", a->max_packets, "Stop after this many packets")->check(CLI::PositiveNumber);
  cmd->add_option("--max-bytes", a->max_bytes, "Stop before the output file exceeds this many bytes")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--snaplen", a->snaplen, "Keep at most this many bytes of each packet")->check(CLI::Range(1, 262144));
  cmd->add_option("--format", a->format, "pcap or pcapng (default: pcap for one ring, pcapng for several)")
      ->check(CLI::IsMember({"pcap", "pcapng"}));
  cmd->add_option("-w", a->output, "Output file, or - for standard output")->required();
  cmd->add_option("--host-name", a->host_name,
                  "Name pcapng interfaces NAME/IFACE (default: this host's name), as a fleet's inventory knows the host")
      ->check([](const std::string& v) -> std::string {
        if (v.empty() || v.size() > 253 || !is_valid_name_part(v))
          return "--host-name '" + v + "': expected 1-253 characters without '/' and not starting with '.'";
        return "";
      });
  cmd->add_flag("--json", a->json, "Report on standard error as one JSON object");
  cmd->add_flag("--no-flow-index", a->no_flow_index, "Read every packet of the window; ignore the flow indexes");
  cmd->add_option("--io-class", a->io_class, "I/O scheduling class: idle (default; capture writes come first) or normal")
      ->check(CLI::IsMember({"idle", "normal"}));
  return {cmd, [a] { return run_extract(*a); }};
}

}  // namespace pcap_ring
