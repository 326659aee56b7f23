#include "service/capture_loop.h"

#include "capture/read_failure.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "common/exit_codes.h"
#include "common/log.h"

namespace pcap_ring {
namespace {

constexpr NanoTime kReopenFirstBackoff = kNanosPerSecond;
constexpr NanoTime kReopenMaxBackoff = 30 * kNanosPerSecond;
constexpr int kWaitMs = 100;  // the loop wakes at least this often (heartbeat, timers)
constexpr NanoTime kDropPollInterval = kNanosPerSecond / 10;

}  // namespace

CaptureLoop::CaptureLoop(CaptureLoopOptions options, std::unique_ptr<PacketSource> source, BatchQueue& queue,
                         const Clock& clock, LiveStats& live, Heartbeats& heartbeats)
    : options_(std::move(options)),
      source_(std::move(source)),
      queue_(queue),
      clock_(clock),
      live_(live),
      heartbeats_(heartbeats),
      current_filter_(options_.limits.filter),
      reopen_backoff_(kReopenFirstBackoff) {}

void CaptureLoop::run(const std::atomic<bool>& stop) {
  const NanoTime wedge_at = clock_.monotonic() + 2 * kNanosPerSecond;
  RecorderOptions recorder_options;
  recorder_options.stream = options_.stream;
  recorder_options.file_size_bytes = options_.limits.file_size_bytes;
  recorder_options.rotate_interval = options_.limits.rotate_interval;
  Recorder recorder(recorder_options, queue_, clock_, [this] { return counters(); });
  live_.set_state("capturing");

  while (!stop.load(std::memory_order_relaxed)) {
    if (wedged(wedge_at)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(kWaitMs));  // no heartbeat
      continue;
    }
    heartbeats_.capture_beat();
    apply_posted_limits(recorder);
    if (!source_) {
      retry_source();
      recorder.tick();
      std::this_thread::sleep_for(std::chrono::milliseconds(kWaitMs));
      continue;
    }
    DispatchStatus status = source_->dispatch(recorder, kWaitMs);
    if (status == DispatchStatus::kEndOfInput) break;
    if (status == DispatchStatus::kError) {
      if (!survive_source_error()) break;
      continue;
    }
    if (rotate_requested_.exchange(false)) recorder.rotate();
    recorder.tick();
    live_.packets.store(recorder.packets(), std::memory_order_relaxed);
    // Asking the kernel for its counters costs libpcap a getsockopt and two sysfs reads:
    // a few times a second is enough for the status.
    if (NanoTime now = clock_.monotonic(); now >= next_drop_poll_) {
      live_.kernel_drops.store(counters().dropped, std::memory_order_relaxed);
      next_drop_poll_ = now + kDropPollInterval;
    }
  }
  recorder.finish();
  packets_ = recorder.packets();
  final_counters_ = counters();
  live_.packets = packets_;
  live_.kernel_drops = final_counters_.dropped;
}

void CaptureLoop::post_limits(CaptureLimits limits) {
  std::lock_guard lock(limits_mutex_);
  posted_limits_ = std::move(limits);
}

CaptureCounters CaptureLoop::counters() {
  CaptureCounters c = before_reopen_;
  if (source_) {
    CaptureCounters now = source_->counters();
    c.received += now.received;
    c.dropped += now.dropped;
  }
  return c;
}

bool CaptureLoop::wedged(NanoTime wedge_at) const {
  return options_.wedge_for_test && clock_.monotonic() >= wedge_at;
}

void CaptureLoop::apply_posted_limits(Recorder& recorder) {
  std::lock_guard lock(limits_mutex_);
  if (!posted_limits_) return;
  CaptureLimits limits = std::move(*posted_limits_);
  posted_limits_.reset();
  recorder.set_limits(limits.file_size_bytes, limits.rotate_interval);
  if (limits.filter == current_filter_) return;
  std::string error;
  if (!source_ || source_->set_filter(limits.filter, &error)) {
    current_filter_ = limits.filter;
    log::notice("filter is now '" + current_filter_ + "'");
  } else {
    log::error("reload: filter '" + limits.filter + "' not applied: " + error);
  }
}

// The interface went away: keep the ring, retry with backoff, say so in STATUS=.
void CaptureLoop::retry_source() {
  if (clock_.monotonic() < reopen_at_) return;
  const std::string& name = options_.source_name;
  try {
    source_ = options_.reopen(current_filter_);
    live_.interface_restarts.fetch_add(1);
    live_.set_state("capturing");
    log::notice("interface " + name + " is back; capture resumed");
    reopen_backoff_ = kReopenFirstBackoff;
  } catch (const StartupError&) {
    reopen_at_ = clock_.monotonic() + reopen_backoff_;
    live_.set_state("interface " + name + " unavailable, retrying in " +
                    std::to_string(reopen_backoff_ / kNanosPerSecond) + " s");
    reopen_backoff_ = std::min(reopen_backoff_ * 2, kReopenMaxBackoff);
  }
}

bool CaptureLoop::survive_source_error() {
  const std::string& name = options_.source_name;
  if (!options_.live) {
    if (is_truncated_last_record(source_->last_error())) {
      log::warning(name + ": the last record is cut short (" + source_->last_error() +
                   "); every whole record before it was read");
      return false;
    }
    log::error("reading " + name + " failed: " + source_->last_error());
    data_error_ = true;
    return false;
  }
  log::warning("capture on " + name + " failed: " + source_->last_error() +
               "; the ring stays open and the interface is retried");
  before_reopen_ = counters();
  source_.reset();
  reopen_at_ = clock_.monotonic() + reopen_backoff_;
  live_.set_state("interface " + name + " unavailable: retrying");
  return true;
}

}  // namespace pcap_ring
