// The capture side of the ring: encodes each packet into the current batch, decides where
// one file ends and the next begins (size, timer, explicit request), and hands batches to
// the writer. It never touches the disk, so the capture loop never blocks on I/O.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "capture/packet_source.h"
#include "format/pcap_format.h"
#include "ring/record_batch.h"
#include "common/timestamp.h"

namespace pcap_ring {

struct RecorderOptions {
  StreamParams stream;
  std::uint64_t file_size_bytes = 25'000'000;
  NanoTime rotate_interval = 0;                 // 0 = no time rotation
  NanoTime flush_interval = kNanosPerSecond / 2;  // buffered records reach the writer this often
};

class Recorder final : public PacketSink {
 public:
  Recorder(RecorderOptions options, BatchQueue& queue, const Clock& clock,
           std::function<CaptureCounters()> counters);

  void on_packet(NanoTime ts, std::uint32_t caplen, std::uint32_t origlen,
                 const std::uint8_t* data) override;

  // Called after every wake-up of the capture loop: hands over records older than the
  // flush interval and rotates by timer.
  void tick();
  // Finishes the current file and starts the next one (SIGUSR1).
  void rotate();
  // Finishes the current file and tells the writer to stop. No packets may follow.
  void finish();

  // Configuration reload: new size and time limits apply from the next record on.
  void set_limits(std::uint64_t file_size_bytes, NanoTime rotate_interval) {
    options_.file_size_bytes = file_size_bytes;
    options_.rotate_interval = rotate_interval;
  }

  std::uint64_t packets() const { return total_packets_; }

 private:
  void start_file();
  void align_batch();  // an empty batch starts at the file's length modulo kDirectIoAlign
  void close_file(bool end_of_stream);
  void hand_over();

  RecorderOptions options_;
  BatchQueue& queue_;
  const Clock& clock_;
  std::function<CaptureCounters()> counters_;
  std::vector<std::uint8_t> header_;
  std::size_t trailer_bytes_;

  std::unique_ptr<RecordBatch> batch_;
  NanoTime batch_started_ = 0;  // monotonic time the current batch got its first bytes
  std::uint64_t file_bytes_ = 0;
  std::uint64_t file_packets_ = 0;
  NanoTime file_started_ = 0;  // monotonic
  CaptureCounters file_start_counters_;
  std::uint64_t total_packets_ = 0;
  bool finished_ = false;
};

}  // namespace pcap_ring
