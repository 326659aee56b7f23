#include "service/writer_loop.h"

namespace pcap_ring {

void WriterLoop::run() {
  for (;;) {
    auto batch = queue_.next();
    bool last = batch->end_of_stream;
    ring_.write_batch(*batch);
    queue_.release(std::move(batch));
    const RingCounters& c = ring_.counters();
    live_.set_writer(ring_.live_file(), c.packets_written, c.bytes_written, c.packets_lost, c.files_finished,
                     c.files_deleted, c.files_evicted, c.write_errors);
    first_file_open_ = true;
    heartbeats_.writer_beat();
    if (last) return;
  }
}

}  // namespace pcap_ring
