// The pcapng if_tsresol option as a ratio: timestamps in nanoseconds are ticks * numerator /
// denominator. Shared by every reader of pcapng timestamps so they agree to the nanosecond.
#pragma once

#include <cstdint>

#include "common/timestamp.h"

namespace pcap_ring {

struct PcapngResolution {
  NanoTime numerator = 1000;  // default if_tsresol 6 (microseconds)
  NanoTime denominator = 1;
};

// The ratio for one if_tsresol byte (bit 7: power of two, else power of ten).
PcapngResolution pcapng_resolution(std::uint8_t tsresol);

// Ticks of an interface with `resolution` in nanoseconds (128-bit intermediate, no overflow).
NanoTime pcapng_ticks_to_ns(std::uint64_t ticks, const PcapngResolution& resolution);

}  // namespace pcap_ring
