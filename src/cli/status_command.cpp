#include "cli/status_command.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/capture_flags.h"
#include "common/exit_codes.h"
#include "ring/ring_index.h"
#include "ring/ring_names.h"
#include "service/service_report.h"
#include "common/unique_fd.h"

namespace pcap_ring {
namespace {

struct StatusArgs {
  std::string interface_name, output_dir, config_dir;
  bool json = false;
};

// The status files in `dir`, optionally of one interface.
std::vector<std::filesystem::path> status_files(const std::string& dir, const std::string& iface) {
  std::vector<std::filesystem::path> out;
  for (const auto& path : ring_state_files(dir, ".status", "", iface)) out.emplace_back(path);
  return out;
}

// A daemon holds the ring's lock file while it runs (a pid could have been reused).
bool ring_locked(const std::filesystem::path& status_path) {
  std::string name = status_path.filename().string();
  std::string lock = (status_path.parent_path() / (name.substr(0, name.size() - 7) + ".lock")).string();
  UniqueFd fd(::open(lock.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return false;
  if (::flock(fd.get(), LOCK_SH | LOCK_NB) == 0) return false;
  return errno == EWOULDBLOCK;
}

void print_one(const LiveSnapshot& s, const std::filesystem::path& status_path, std::ostream& out) {
  bool alive = ring_locked(status_path);
  std::string ring = status_path.filename().string();
  ring = ring.substr(1, ring.size() - 8);
  RingIndex index(status_path.parent_path().string() + "/." + ring + ".index");
  index.load(nullptr);
  std::uint64_t bytes = 0;
  for (const auto& r : index.records()) bytes += r.bytes;
  out << ring << " (" << s.output_dir << ")\n";
  out << "  state:        " << (alive ? s.state + " (pid " + std::to_string(s.pid) + ")" : "not running; last state: " + s.state) << "\n";
  if (alive) out << "  current file: " << (s.current_file.empty() ? "none" : s.current_file) << "\n";
  out << "  packets:      " << s.packets << " captured, " << s.kernel_drops << " dropped by the kernel, "
      << s.packets_lost << " lost to disk errors\n";
  out << "  files:        " << index.records().size() << " in the ring (" << bytes << " bytes), " << s.files_finished
      << " finished and " << s.files_deleted << " deleted since start\n";
  NanoTime first = 0, last = 0;
  for (const auto& r : index.records()) {
    if (!r.packets) continue;
    if (!first || r.first < first) first = r.first;
    if (r.last > last) last = r.last;
  }
  if (first) out << "  time span:    " << format_rfc3339_ns(first) << " .. " << format_rfc3339_ns(last) << "\n";
  out << "  hooks:        " << s.hook_backlog << " files waiting, " << s.hook_stages_ok << " stages ok, "
      << s.hook_stages_failed << " failed, " << s.hook_stages_retried << " retried, " << s.files_evicted
      << " files evicted before their hooks ran\n";
  if (s.interface_restarts) out << "  interface:    reopened " << s.interface_restarts << " times\n";
}

int status(const StatusArgs& a) {
  std::vector<std::filesystem::path> files;
  if (!a.output_dir.empty()) {
    files = status_files(a.output_dir, a.interface_name);
  } else if (!a.interface_name.empty()) {
    RawSettings raw;
    raw.values["interface"] = a.interface_name;
    if (!a.config_dir.empty()) raw.values["config_dir"] = a.config_dir;
    CaptureConfig config = load_capture_config(raw, current_environment());
    files = status_files(config.output_dir, a.interface_name);
  } else {
    std::error_code ec;
    for (const auto& d : std::filesystem::directory_iterator(kDefaultStateRoot, ec))
      for (const auto& f : status_files(d.path().string(), "")) files.push_back(f);
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::cerr << "packet-capture: no ring found"
              << (a.interface_name.empty() ? std::string() : " for interface " + a.interface_name)
              << "; has `packet-capture run` been started?\n";
    return kExitNotRunning;
  }
  std::string json_out = "[";
  bool any_running = false;
  for (const auto& path : files) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    auto s = parse_status_json(text.str());
    if (!s) {
      std::cerr << "packet-capture: " << path.string() << ": unreadable status file\n";
      continue;
    }
    any_running |= ring_locked(path);
    if (a.json) {
      std::string one = status_json(*s);
      one.pop_back();
      json_out += (json_out.size() > 1 ? "," : "") + one;
    } else {
      print_one(*s, path, std::cout);
    }
  }
  if (a.json) std::cout << json_out << "]\n";
  // Like systemctl is-active: scripts can tell whether capture runs.
  return any_running ? kExitOk : kExitNotRunning;
}

}  // namespace

Subcommand add_status_command(CLI::App& app) {
  auto args = std::make_shared<StatusArgs>();
  CLI::App* cmd = app.add_subcommand("status", "Summary of a ring: state, current file, totals, drops, hook backlog (exit 3 if not running)");
  cmd->add_option("interface", args->interface_name, "Interface (default: every ring under /var/lib/packet-capture)");
  cmd->add_option("-o,--output-dir", args->output_dir, "Ring directory");
  cmd->add_option("--config-dir", args->config_dir, "Configuration directory");
  cmd->add_flag("--json", args->json, "The status files as a JSON array");
  return {cmd, [args] { return status(*args); }};
}

}  // namespace pcap_ring
