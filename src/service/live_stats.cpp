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

void LiveStats::set_writer(std::string current_file, std::uint64_t packets_written, std::uint64_t bytes_written,
                           std::uint64_t packets_lost, std::uint64_t files_finished, std::uint64_t files_deleted,
                           std::uint64_t files_evicted, std::uint64_t write_errors) {
  std::lock_guard lock(mutex_);
  writer_side_.current_file = std::move(current_file);
  writer_side_.packets_written = packets_written;
  writer_side_.bytes_written = bytes_written;
  writer_side_.packets_lost = packets_lost;
  writer_side_.files_finished = files_finished;
  writer_side_.files_deleted = files_deleted;
  writer_side_.files_evicted = files_evicted;
  writer_side_.write_errors = write_errors;
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
