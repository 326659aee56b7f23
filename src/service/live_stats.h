// What the running daemon knows about itself, shared between the capture thread, the writer
// thread and the main thread (which turns it into STATUS=, the status file and metrics).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "hooks/hook_queue.h"
#include "ring/ring.h"

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
  std::uint64_t interface_restarts = 0;
  RingCounters ring;  // the writer's
  std::uint64_t hook_backlog = 0;
  std::uint64_t hooks_running = 0;
  HookStats hooks;
};

// The status file's form (its field names are read by `packet-capture status` and by
// scripts: keep them). Only the counters the status file has always carried are written.
void to_json(nlohmann::ordered_json& j, const LiveSnapshot& s);
void from_json(const nlohmann::json& j, LiveSnapshot& s);

class LiveStats {
 public:
  // Capture thread.
  std::atomic<std::uint64_t> packets{0};
  std::atomic<std::uint64_t> kernel_drops{0};
  std::atomic<std::uint64_t> interface_restarts{0};
  void set_state(std::string state);

  // Writer thread: after every batch.
  void set_writer(std::string current_file, const RingCounters& counters);

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
