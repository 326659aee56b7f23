#include "cli/status_command.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/ring_selection.h"
#include "common/exit_codes.h"
#include "config/defaults.h"
#include "ring/ring_index.h"
#include "ring/ring_names.h"
#include "service/service_report.h"
#include "common/unique_fd.h"

namespace pcap_ring {
namespace {

struct StatusArgs {
  RingSelection ring;
  bool json = false;
};

// The status files in `dir`, optionally of one interface.
std::vector<std::filesystem::path> status_files(const std::string& dir, const std::string& iface) {
  std::vector<std::filesystem::path> out;
  for (const auto& path : ring_state_files(dir, StateFile::kStatus, "", iface)) out.emplace_back(path);
  return out;
}

// A daemon holds the ring's lock file while it runs (a pid could have been reused).
bool ring_locked(const std::filesystem::path& status_path) {
  std::string ring = state_file_ring_label(status_path.filename().string(), StateFile::kStatus).value_or("");
  std::string lock = (status_path.parent_path() / state_file_name(ring, StateFile::kLock)).string();
  UniqueFd fd(::open(lock.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return false;
  if (::flock(fd.get(), LOCK_SH | LOCK_NB) == 0) return false;
  return errno == EWOULDBLOCK;
}

void print_one(const LiveSnapshot& s, const std::filesystem::path& status_path, std::ostream& out) {
  bool alive = ring_locked(status_path);
  std::string ring = state_file_ring_label(status_path.filename().string(), StateFile::kStatus).value_or("");
  RingIndex index((status_path.parent_path() / state_file_name(ring, StateFile::kIndex)).string());
  if (!index.load(nullptr)) std::cerr << "packet-capture: " << index.path() << ": cannot be read\n";
  std::uint64_t bytes = 0;
  for (const auto& r : index.records()) bytes += r.bytes;
  out << ring << " (" << s.output_dir << ")\n";
  out << "  state:        " << (alive ? s.state + " (pid " + std::to_string(s.pid) + ")" : "not running; last state: " + s.state) << "\n";
  if (alive) out << "  current file: " << (s.current_file.empty() ? "none" : s.current_file) << "\n";
  out << "  packets:      " << s.packets << " captured, " << s.kernel_drops << " dropped by the kernel, "
      << s.ring.packets_lost << " lost to disk errors\n";
  out << "  files:        " << index.records().size() << " in the ring (" << bytes << " bytes), " << s.ring.files_finished
      << " finished and " << s.ring.files_deleted << " deleted since start\n";
  NanoTime first = 0, last = 0;
  for (const auto& r : index.records()) {
    if (!r.packets) continue;
    if (!first || r.first < first) first = r.first;
    if (r.last > last) last = r.last;
  }
  if (first) out << "  time span:    " << format_rfc3339_ns(first) << " .. " << format_rfc3339_ns(last) << "\n";
  out << "  hooks:        " << s.hook_backlog << " files waiting, " << s.hooks.stages_succeeded << " stages ok, "
      << s.hooks.stages_failed << " failed, " << s.hooks.stages_retried << " retried, " << s.ring.files_evicted
      << " files evicted before their hooks ran\n";
  if (s.interface_restarts) out << "  interface:    reopened " << s.interface_restarts << " times\n";
}

int status(const StatusArgs& a) {
  const std::string& interface_name = a.ring.interface_name;
  std::vector<std::filesystem::path> files;
  // Status files of every prefix: the location's prefix is not applied.
  if (auto location = locate_ring(a.ring)) {
    files = status_files(location->directory, interface_name);
  } else {
    std::error_code ec;
    for (const auto& d : std::filesystem::directory_iterator(kDefaultStateRoot, ec))
      for (const auto& f : status_files(d.path().string(), "")) files.push_back(f);
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::cerr << "packet-capture: no ring found"
              << (interface_name.empty() ? std::string() : " for interface " + interface_name)
              << "; has `packet-capture run` been started?\n";
    return kExitNotRunning;
  }
  nlohmann::ordered_json json_out = nlohmann::ordered_json::array();
  bool any_running = false;
  for (const auto& path : files) {
    std::string why;
    auto s = read_status_file(path.string(), &why);
    if (!s) {
      std::cerr << "packet-capture: " << path.string() << ": unreadable status file: " << why << "\n";
      continue;
    }
    any_running |= ring_locked(path);
    if (a.json) {
      json_out.push_back(*s);
    } else {
      print_one(*s, path, std::cout);
    }
  }
  if (a.json) std::cout << json_out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  // Like systemctl is-active: scripts can tell whether capture runs.
  return any_running ? kExitOk : kExitNotRunning;
}

}  // namespace

Subcommand add_status_command(CLI::App& app) {
  auto args = std::make_shared<StatusArgs>();
  CLI::App* cmd = app.add_subcommand("status", "Summary of a ring: state, current file, totals, drops, hook backlog (exit 3 if not running)");
  add_ring_selection_flags(*cmd, args->ring, {.interface = InterfaceArgument::kPositional, .prefix = false});
  cmd->add_flag("--json", args->json, "The status files as a JSON array");
  return {cmd, [args] { return status(*args); }};
}

}  // namespace pcap_ring
