// What the running daemon knows about itself, shared between the capture thread, the writer
// thread and the main thread (which turns it into STATUS=, the status file and metrics).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

namespace pcap_ring {

struct LiveSnapshot {
  std::string interface_name;
  std::string output_dir;
  std::string state;  // "capturing", "interface down: ...", "stopping"
  std::string current_file;
  std::uint64_t pid = 0;
  std::uint64_t started_unix = 0;
  std::uint64_t packets = 0;       // handed to the writer
  std::uint64_t kernel_drops = 0;  // kernel buffer overflows
  std::uint64_t packets_written = 0;
  std::uint64_t bytes_written = 0;
  std::uint64_t packets_lost = 0;  // write errors after deleting all it could
  std::uint64_t files_finished = 0;
  std::uint64_t files_deleted = 0;
  std::uint64_t files_evicted = 0;
  std::uint64_t write_errors = 0;
  std::uint64_t interface_restarts = 0;
  std::uint64_t hook_backlog = 0;
  std::uint64_t hooks_running = 0;
  std::uint64_t hook_stages_ok = 0;
  std::uint64_t hook_stages_failed = 0;
  std::uint64_t hook_stages_retried = 0;
  std::uint64_t hook_stages_timed_out = 0;
};

class LiveStats {
 public:
  // Capture thread.
  std::atomic<std::uint64_t> packets{0};
  std::atomic<std::uint64_t> kernel_drops{0};
  std::atomic<std::uint64_t> interface_restarts{0};
  void set_state(std::string state);

  // Writer thread: after every batch.
  void set_writer(std::string current_file, std::uint64_t packets_written, std::uint64_t bytes_written,
                  std::uint64_t packets_lost, std::uint64_t files_finished, std::uint64_t files_deleted,
                  std::uint64_t files_evicted, std::uint64_t write_errors);

  // Main thread: a consistent copy (hook figures are filled in by the caller).
  LiveSnapshot snapshot() const;
  void set_identity(std::string interface_name, std::string output_dir);

 private:
  mutable std::mutex mutex_;
  LiveSnapshot writer_side_;
  std::string state_ = "starting";
  std::string interface_name_, output_dir_;
};

}  // namespace pcap_ring
