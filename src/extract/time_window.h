// The time window of an extraction, [from, to) in nanoseconds, as `editcap -A from -B to`
// cuts it: a packet stamped exactly `from` is in, one stamped exactly `to` is out.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/timestamp.h"

namespace pcap_ring {

struct TimeWindow {
  NanoTime from = 0;
  NanoTime to = 0;
  bool contains(NanoTime t) const { return t >= from && t < to; }
  bool overlaps(NanoTime first, NanoTime last) const { return last >= from && first < to; }
};

// An instant given by a person: RFC 3339 with any number of fraction digits (kept to the
// nanosecond) and 'Z' or a "+hh:mm"/"-hh:mm" offset, or Unix seconds with an optional
// fraction ("1764499200.25"). nullopt for anything else.
std::optional<NanoTime> parse_time_argument(std::string_view text);

// "90s", "5m", "2h" (a whole number and one unit); nullopt for anything else or zero.
std::optional<NanoTime> parse_duration_argument(std::string_view text);

// The window of --from/--to or --last (ending `now`). Throws UsageError naming the bad value
// (unparsable, both or neither forms given, reversed or empty window).
TimeWindow make_time_window(const std::string& from, const std::string& to, const std::string& last, NanoTime now);

}  // namespace pcap_ring
