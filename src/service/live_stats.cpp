#include "service/live_stats.h"

#include <unistd.h>

#include <ctime>

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

void from_json(const nlohmann::json& j, LiveSnapshot& s) {
  j.at("interface").get_to(s.interface_name);
  j.at("output_dir").get_to(s.output_dir);
  j.at("state").get_to(s.state);
  j.at("current_file").get_to(s.current_file);
  j.at("pid").get_to(s.pid);
  j.at("started_unix").get_to(s.started_unix);
  j.at("packets").get_to(s.packets);
  j.at("kernel_drops").get_to(s.kernel_drops);
  j.at("packets_written").get_to(s.ring.packets_written);
  j.at("bytes_written").get_to(s.ring.bytes_written);
  j.at("packets_lost").get_to(s.ring.packets_lost);
  j.at("files_finished").get_to(s.ring.files_finished);
  j.at("files_deleted").get_to(s.ring.files_deleted);
  j.at("files_evicted").get_to(s.ring.files_evicted);
  j.at("write_errors").get_to(s.ring.write_errors);
  j.at("interface_restarts").get_to(s.interface_restarts);
  j.at("hook_backlog").get_to(s.hook_backlog);
  j.at("hooks_running").get_to(s.hooks_running);
  j.at("hook_stages_ok").get_to(s.hooks.stages_succeeded);
  j.at("hook_stages_failed").get_to(s.hooks.stages_failed);
  j.at("hook_stages_retried").get_to(s.hooks.stages_retried);
  j.at("hook_stages_timed_out").get_to(s.hooks.stages_timed_out);
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
