// The I/O scheduling class of this process: readers of the ring (extraction) run in the idle
// class so that the capture's writes always come first on a shared disk.
#pragma once

namespace pcap_ring {

// Returns 0 or the errno of ioprio_set(2).
int set_idle_io_priority();

}  // namespace pcap_ring
