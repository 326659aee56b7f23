// The writer thread: takes the batches the capture loop filled and writes them into the ring
// (which opens, finishes and deletes files as the batches say), until the end of the stream.
#pragma once

#include <atomic>

#include "ring/record_batch.h"
#include "ring/ring.h"
#include "service/heartbeat.h"
#include "service/live_stats.h"

namespace pcap_ring {

class WriterLoop {
 public:
  WriterLoop(BatchQueue& queue, Ring& ring, LiveStats& live, Heartbeats& heartbeats)
      : queue_(queue), ring_(ring), live_(live), heartbeats_(heartbeats) {}

  // Returns after writing the batch that ends the stream.
  void run();
  // True once the first batch (which opens the first file) was written.
  bool first_file_open() const { return first_file_open_.load(); }

 private:
  BatchQueue& queue_;
  Ring& ring_;
  LiveStats& live_;
  Heartbeats& heartbeats_;
  std::atomic<bool> first_file_open_{false};
};

}  // namespace pcap_ring
