// Packet times as integer nanoseconds since the Unix epoch, and their RFC 3339 text form.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pcap_ring {

using NanoTime = std::int64_t;

// "2026-11-25T01:02:03.123456789Z"
std::string format_rfc3339_ns(NanoTime t);
// Accepts the form above (fraction optional, 1..9 digits, 'Z' required).
std::optional<NanoTime> parse_rfc3339(std::string_view text);

// Current wall-clock time; an interface so that tests can move time without sleeping.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual NanoTime now() const = 0;   // wall clock, for file times
  virtual NanoTime monotonic() const = 0;  // for rotation and flush deadlines
};

class SystemClock final : public Clock {
 public:
  NanoTime now() const override;
  NanoTime monotonic() const override;
};

inline constexpr NanoTime kNanosPerSecond = 1'000'000'000;

}  // namespace pcap_ring
