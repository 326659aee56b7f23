#include "format/pcapng_resolution.h"

namespace pcap_ring {

PcapngResolution pcapng_resolution(std::uint8_t tsresol) {
  PcapngResolution r;
  r.denominator = 1;
  if (tsresol & 0x80) {
    int exp = tsresol & 0x7f;
    if (exp > 62) exp = 62;
    r.denominator = NanoTime{1} << exp;
    r.numerator = kNanosPerSecond;
    return r;
  }
  int exp = tsresol;
  if (exp >= 9) {
    NanoTime den = 1;
    // Stops at 10^18, the largest power of ten a NanoTime holds.
    for (int i = 9; i < exp && den < kNanosPerSecond * kNanosPerSecond; ++i) den *= 10;
    r.denominator = den;
    r.numerator = 1;
    return r;
  }
  NanoTime num = 1;
  for (int i = exp; i < 9; ++i) num *= 10;
  r.numerator = num;
  return r;
}

NanoTime pcapng_ticks_to_ns(std::uint64_t ticks, const PcapngResolution& resolution) {
  __extension__ typedef unsigned __int128 Uint128;  // ticks * numerator may exceed 64 bits
  return static_cast<NanoTime>(static_cast<Uint128>(ticks) *
                               static_cast<std::uint64_t>(resolution.numerator) /
                               static_cast<std::uint64_t>(resolution.denominator));
}

}  // namespace pcap_ring
