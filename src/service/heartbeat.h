// Liveness of the capture and writer loops, for the systemd watchdog: WATCHDOG=1 is sent
// only when both loops made progress since the previous check, so a wedged loop leads to a
// watchdog restart instead of a service that looks alive and captures nothing.
#pragma once

#include <atomic>
#include <cstdint>

namespace pcap_ring {

class Heartbeats {
 public:
  // Each loop calls its beat() once per iteration (the capture loop wakes at least every
  // 100 ms; the writer beats per batch).
  void capture_beat() { capture_.fetch_add(1, std::memory_order_relaxed); }
  void writer_beat() { writer_.fetch_add(1, std::memory_order_relaxed); }

  // True when the capture loop beat since the last call, and the writer beat or had
  // nothing to do (`writer_idle`: no batch waiting for it).
  bool healthy_since_last_check(bool writer_idle) {
    std::uint64_t c = capture_.load(std::memory_order_relaxed);
    std::uint64_t w = writer_.load(std::memory_order_relaxed);
    bool ok = c != last_capture_ && (w != last_writer_ || writer_idle);
    last_capture_ = c;
    last_writer_ = w;
    return ok;
  }

 private:
  std::atomic<std::uint64_t> capture_{0};
  std::atomic<std::uint64_t> writer_{0};
  std::uint64_t last_capture_ = 0;
  std::uint64_t last_writer_ = 0;
};

}  // namespace pcap_ring
