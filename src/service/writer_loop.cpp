#include "service/writer_loop.h"

namespace pcap_ring {

void WriterLoop::run() {
  for (;;) {
    auto batch = queue_.next();
    bool last = batch->end_of_stream;
    ring_.write_batch(*batch, queue_.pending());
    queue_.release(std::move(batch));
    live_.set_writer(ring_.live_file(), ring_.counters());
    first_file_open_ = true;
    heartbeats_.writer_beat();
    if (last) {
      ring_.flush();  // the last file is published before the daemon reports and exits
      live_.set_writer(ring_.live_file(), ring_.counters());
      return;
    }
  }
}

}  // namespace pcap_ring
