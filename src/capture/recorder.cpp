#include "capture/recorder.h"

#include <cstring>

namespace pcap_ring {

Recorder::Recorder(RecorderOptions options, BatchQueue& queue, const Clock& clock,
                   std::function<CaptureCounters()> counters)
    : options_(std::move(options)),
      queue_(queue),
      clock_(clock),
      counters_(std::move(counters)),
      header_(encode_file_header(options_.stream)),
      trailer_bytes_(trailer_size(options_.stream)) {
  batch_ = queue_.acquire();
  start_file();
  hand_over();  // the writer opens the first file at once, before any packet arrives
}

void Recorder::align_batch() {
  if (batch_->payload_size() != 0) return;
  batch_->begin = batch_->size = static_cast<std::size_t>(file_bytes_ % kDirectIoAlign);
}

void Recorder::start_file() {
  batch_->file_header = header_;
  if (batch_started_ == 0) batch_started_ = clock_.monotonic();
  file_bytes_ = header_.size();
  align_batch();
  file_packets_ = 0;
  file_started_ = clock_.monotonic();
  file_start_counters_ = counters_();
}

void Recorder::hand_over() {
  queue_.submit(std::move(batch_));
  batch_ = queue_.acquire();
  batch_started_ = 0;
  align_batch();
}

void Recorder::close_file(bool end_of_stream) {
  CaptureCounters now = counters_();
  std::uint64_t dropped = now.dropped - file_start_counters_.dropped;
  std::uint64_t received = now.received - file_start_counters_.received;
  auto trailer = encode_file_trailer(options_.stream, clock_.now(), received, dropped);
  if (!trailer.empty()) {
    if (batch_->room() < trailer.size()) hand_over();
    std::memcpy(batch_->data.get() + batch_->size, trailer.data(), trailer.size());
    batch_->size += trailer.size();
    file_bytes_ += trailer.size();
  }
  batch_->closes_file = true;
  batch_->file_drops = dropped;
  batch_->end_of_stream = end_of_stream;
  hand_over();
}

void Recorder::on_packet(NanoTime ts, std::uint32_t caplen, std::uint32_t origlen,
                         const std::uint8_t* data) {
  if (caplen > options_.stream.snaplen) caplen = options_.stream.snaplen;
  std::size_t size = record_size(options_.stream, caplen);
  // Rotate before the record that would push the file past its size (the trailer
  // included), so a file only exceeds the limit when one record alone is larger.
  if (file_packets_ > 0 && file_bytes_ + size + trailer_bytes_ > options_.file_size_bytes) rotate();
  if (batch_->room() < size + trailer_bytes_) hand_over();
  if (batch_->payload_size() == 0 && batch_started_ == 0) batch_started_ = clock_.monotonic();
  encode_record(options_.stream, batch_->data.get() + batch_->size, ts, caplen, origlen, data);
  batch_->size += size;
  // The earliest and latest times, not the first and last in order: kernel timestamps and
  // merged --read input can step back, and extraction skips files by these.
  if (batch_->packets == 0 || ts < batch_->first) batch_->first = ts;
  if (batch_->packets == 0 || ts > batch_->last) batch_->last = ts;
  ++batch_->packets;
  file_bytes_ += size;
  ++file_packets_;
  ++total_packets_;
}

void Recorder::tick() {
  if (finished_) return;
  NanoTime now = clock_.monotonic();
  if (options_.rotate_interval > 0 && now - file_started_ >= options_.rotate_interval) {
    if (file_packets_ > 0) {
      rotate();
      return;
    }
    file_started_ = now;  // nothing to hand on: keep the empty file, restart its period
  }
  bool has_bytes = batch_->payload_size() > 0 || !batch_->file_header.empty();
  if (has_bytes && batch_started_ != 0 && now - batch_started_ >= options_.flush_interval) hand_over();
}

void Recorder::rotate() {
  if (finished_) return;
  close_file(false);
  start_file();
  hand_over();  // the next file exists on disk right away, even before its first packet
}

void Recorder::finish() {
  if (finished_) return;
  finished_ = true;
  close_file(true);
}

}  // namespace pcap_ring
