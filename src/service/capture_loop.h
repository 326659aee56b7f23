// The capture thread: takes packets from the packet source into the recorder, which fills
// batches for the writer and decides where files end. It never waits for the disk. When a
// live interface fails (unplugged, renamed, down), the ring stays open and the loop reopens
// the interface with exponential backoff, saying so in the live state (STATUS=).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "capture/packet_source.h"
#include "capture/recorder.h"
#include "ring/record_batch.h"
#include "service/heartbeat.h"
#include "service/live_stats.h"

namespace pcap_ring {

// Opens the packet source with the given filter; throws StartupError when it cannot.
using SourceOpener = std::function<std::unique_ptr<PacketSource>(const std::string& filter)>;

// What a reload may change on the capture thread.
struct CaptureLimits {
  std::string filter;
  std::uint64_t file_size_bytes = 0;
  NanoTime rotate_interval = 0;
};

struct CaptureLoopOptions {
  StreamParams stream;
  CaptureLimits limits;
  std::string source_name;  // the interface, or the file read with --read
  bool live = true;         // a live interface: failures are retried, not the end
  SourceOpener reopen;      // used to reopen a live interface after a failure
  // Test-only fault: two seconds after start the loop stops making progress (no
  // heartbeat), to prove that the watchdog then restarts the service.
  bool wedge_for_test = false;
};

class CaptureLoop {
 public:
  CaptureLoop(CaptureLoopOptions options, std::unique_ptr<PacketSource> source, BatchQueue& queue,
              const Clock& clock, LiveStats& live, Heartbeats& heartbeats);

  // Runs until `stop` is set, the input ends or a file cannot be read; then finishes the
  // last file and ends the stream for the writer.
  void run(const std::atomic<bool>& stop);

  // From other threads: rotate now (SIGUSR1); take new limits (reload).
  void request_rotate() { rotate_requested_ = true; }
  void post_limits(CaptureLimits limits);

  // After run() returned.
  bool failed() const { return failed_; }
  // --read met a damaged record (EX_DATAERR); a last record merely cut short is not one.
  bool data_error() const { return data_error_; }
  std::uint64_t packets() const { return packets_; }
  const CaptureCounters& final_counters() const { return final_counters_; }

 private:
  CaptureCounters counters();
  void apply_posted_limits(Recorder& recorder);
  void retry_source();
  bool survive_source_error();  // false: the loop ends
  bool wedged(NanoTime wedge_at) const;

  CaptureLoopOptions options_;
  std::unique_ptr<PacketSource> source_;
  BatchQueue& queue_;
  const Clock& clock_;
  LiveStats& live_;
  Heartbeats& heartbeats_;

  std::atomic<bool> rotate_requested_{false};
  std::mutex limits_mutex_;
  std::optional<CaptureLimits> posted_limits_;

  std::string current_filter_;
  CaptureCounters before_reopen_;  // totals of earlier handles: counters survive reopening
  NanoTime reopen_at_ = 0;
  NanoTime next_drop_poll_ = 0;  // when the kernel's drop counter is read next
  NanoTime reopen_backoff_;
  bool failed_ = false;
  bool data_error_ = false;
  std::uint64_t packets_ = 0;
  CaptureCounters final_counters_;
};

}  // namespace pcap_ring
