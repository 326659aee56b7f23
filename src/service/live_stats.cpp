#include "service/live_stats.h"

#include <unistd.h>

#include <ctime>

#include "common/json_integer.h"

namespace pcap_ring {

void LiveStats::set_state(std::string state) {
  std::lock_guard lock(mutex_);
  state_ = std::move(state);
}

void LiveStats::set_identity(std::string interface_name, std::string output_dir) {
  std::lock_guard lock(mutex_);
  interface_name_ = std::move(interface_name);
  output_dir_ = std::move(output_dir);
  writer_side_.pid = static_cast<std::uint64_t>(getpid());
  writer_side_.started_unix = static_cast<std::uint64_t>(std::time(nullptr));
}

void LiveStats::set_writer(std::string current_file, const RingCounters& counters) {
  std::lock_guard lock(mutex_);
  writer_side_.current_file = std::move(current_file);
  writer_side_.ring = counters;
}

void to_json(nlohmann::ordered_json& j, const LiveSnapshot& s) {
  j = nlohmann::ordered_json{{"interface", s.interface_name},
                             {"output_dir", s.output_dir},
                             {"state", s.state},
                             {"current_file", s.current_file},
                             {"pid", s.pid},
                             {"started_unix", s.started_unix},
                             {"packets", s.packets},
                             {"kernel_drops", s.kernel_drops},
                             {"packets_written", s.ring.packets_written},
                             {"bytes_written", s.ring.bytes_written},
                             {"packets_lost", s.ring.packets_lost},
                             {"files_finished", s.ring.files_finished},
                             {"files_deleted", s.ring.files_deleted},
                             {"files_evicted", s.ring.files_evicted},
                             {"write_errors", s.ring.write_errors},
                             {"interface_restarts", s.interface_restarts},
                             {"hook_backlog", s.hook_backlog},
                             {"hooks_running", s.hooks_running},
                             {"hook_stages_ok", s.hooks.stages_succeeded},
                             {"hook_stages_failed", s.hooks.stages_failed},
                             {"hook_stages_retried", s.hooks.stages_retried},
                             {"hook_stages_timed_out", s.hooks.stages_timed_out}};
}

namespace {

// A counter of the status file: only a JSON integer that fits 64 bits unsigned. The file lies in
// the ring directory, so it may have been damaged or written by someone else; a negative,
// fractional, huge or quoted number is refused by name instead of wrapping or being cast.
std::uint64_t status_counter(const nlohmann::json& j, const char* key) {
  const nlohmann::json& value = j.at(key);
  try {
    return json_integer<std::uint64_t>(value);
  } catch (const nlohmann::json::type_error&) {
    throw nlohmann::json::type_error::create(
        302, std::string("\"") + key + "\" must be an integer from 0 to 2^64-1, got " + value.dump(), &j);
  }
}

}  // namespace

void from_json(const nlohmann::json& j, LiveSnapshot& s) {
  j.at("interface").get_to(s.interface_name);
  j.at("output_dir").get_to(s.output_dir);
  j.at("state").get_to(s.state);
  j.at("current_file").get_to(s.current_file);
  s.pid = status_counter(j, "pid");
  s.started_unix = status_counter(j, "started_unix");
  s.packets = status_counter(j, "packets");
  s.kernel_drops = status_counter(j, "kernel_drops");
  s.ring.packets_written = status_counter(j, "packets_written");
  s.ring.bytes_written = status_counter(j, "bytes_written");
  s.ring.packets_lost = status_counter(j, "packets_lost");
  s.ring.files_finished = status_counter(j, "files_finished");
  s.ring.files_deleted = status_counter(j, "files_deleted");
  s.ring.files_evicted = status_counter(j, "files_evicted");
  s.ring.write_errors = status_counter(j, "write_errors");
  s.interface_restarts = status_counter(j, "interface_restarts");
  s.hook_backlog = status_counter(j, "hook_backlog");
  s.hooks_running = status_counter(j, "hooks_running");
  s.hooks.stages_succeeded = status_counter(j, "hook_stages_ok");
  s.hooks.stages_failed = status_counter(j, "hook_stages_failed");
  s.hooks.stages_retried = status_counter(j, "hook_stages_retried");
  s.hooks.stages_timed_out = status_counter(j, "hook_stages_timed_out");
}

LiveSnapshot LiveStats::snapshot() const {
  std::lock_guard lock(mutex_);
  LiveSnapshot s = writer_side_;
  s.interface_name = interface_name_;
  s.output_dir = output_dir_;
  s.state = state_;
  s.packets = packets.load();
  s.kernel_drops = kernel_drops.load();
  s.interface_restarts = interface_restarts.load();
  return s;
}

}  // namespace pcap_ring
