// Names the calling thread (at most 15 characters), so that top -H, perf and the benchmarks
// can tell the capture thread from the writer, the publisher and the keeper.
#pragma once

namespace pcap_ring {

void name_this_thread(const char* name);

}  // namespace pcap_ring
