#include "extract/time_window.h"

#include <ctime>
#include <limits>

#include "common/exit_codes.h"

namespace pcap_ring {
namespace {

constexpr NanoTime kMaxSeconds = std::numeric_limits<NanoTime>::max() / kNanosPerSecond - 1;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Digits after a '.' as nanoseconds: the first nine count, the rest are dropped.
std::optional<NanoTime> parse_fraction(std::string_view digits) {
  if (digits.empty()) return std::nullopt;
  NanoTime frac = 0;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (!is_digit(digits[i])) return std::nullopt;
    if (i < 9) frac = frac * 10 + (digits[i] - '0');
  }
  for (std::size_t i = digits.size(); i < 9; ++i) frac *= 10;
  return frac;
}

std::optional<NanoTime> parse_unix_seconds(std::string_view text) {
  std::size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  if (whole.empty() || whole.size() > 12) return std::nullopt;
  NanoTime seconds = 0;
  for (char c : whole) {
    if (!is_digit(c)) return std::nullopt;
    seconds = seconds * 10 + (c - '0');
  }
  if (seconds > kMaxSeconds) return std::nullopt;
  NanoTime frac = 0;
  if (dot != std::string_view::npos) {
    auto parsed = parse_fraction(text.substr(dot + 1));
    if (!parsed) return std::nullopt;
    frac = *parsed;
  }
  return seconds * kNanosPerSecond + frac;
}

std::optional<int> two_digits(std::string_view s, std::size_t at) {
  if (at + 2 > s.size() || !is_digit(s[at]) || !is_digit(s[at + 1])) return std::nullopt;
  return (s[at] - '0') * 10 + (s[at + 1] - '0');
}

std::optional<NanoTime> parse_rfc3339_any(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm); 't', 'z' and a space for 'T' as RFC 3339 allows.
  if (text.size() < 20) return std::nullopt;
  for (std::size_t i : {0u, 1u, 2u, 3u})
    if (!is_digit(text[i])) return std::nullopt;
  if (text[4] != '-' || text[7] != '-' || text[13] != ':' || text[16] != ':') return std::nullopt;
  if (text[10] != 'T' && text[10] != 't' && text[10] != ' ') return std::nullopt;
  auto month = two_digits(text, 5), day = two_digits(text, 8), hour = two_digits(text, 11),
       minute = two_digits(text, 14), second = two_digits(text, 17);
  if (!month || !day || !hour || !minute || !second) return std::nullopt;
  if (*month < 1 || *month > 12 || *day < 1 || *day > 31 || *hour > 23 || *minute > 59 || *second > 60)
    return std::nullopt;
  struct tm tm {};
  tm.tm_year = std::stoi(std::string(text.substr(0, 4))) - 1900;
  tm.tm_mon = *month - 1;
  tm.tm_mday = *day;
  tm.tm_hour = *hour;
  tm.tm_min = *minute;
  tm.tm_sec = *second;
  std::size_t at = 19;
  NanoTime frac = 0;
  if (at < text.size() && text[at] == '.') {
    std::size_t end = at + 1;
    while (end < text.size() && is_digit(text[end])) ++end;
    auto parsed = parse_fraction(text.substr(at + 1, end - at - 1));
    if (!parsed) return std::nullopt;
    frac = *parsed;
    at = end;
  }
  NanoTime offset_seconds = 0;
  if (at + 1 == text.size() && (text[at] == 'Z' || text[at] == 'z')) {
  } else if (at + 6 == text.size() && (text[at] == '+' || text[at] == '-') && text[at + 3] == ':') {
    auto oh = two_digits(text, at + 1), om = two_digits(text, at + 4);
    if (!oh || !om || *oh > 23 || *om > 59) return std::nullopt;
    offset_seconds = (*oh * 3600 + *om * 60) * (text[at] == '+' ? 1 : -1);
  } else {
    return std::nullopt;
  }
  time_t seconds = timegm(&tm);
  if (seconds < 0 || tm.tm_mday != *day) return std::nullopt;  // before 1970, or 31 February
  if (static_cast<NanoTime>(seconds) - offset_seconds > kMaxSeconds || static_cast<NanoTime>(seconds) < offset_seconds)
    return std::nullopt;  // beyond what nanoseconds since 1970 hold (the year 2262)
  return (static_cast<NanoTime>(seconds) - offset_seconds) * kNanosPerSecond + frac;
}

}  // namespace

std::optional<NanoTime> parse_time_argument(std::string_view text) {
  if (text.find('-') != std::string_view::npos && text.size() >= 20) return parse_rfc3339_any(text);
  return parse_unix_seconds(text);
}

std::optional<NanoTime> parse_duration_argument(std::string_view text) {
  if (text.size() < 2 || text.size() > 10) return std::nullopt;
  NanoTime unit = 0;
  switch (text.back()) {
    case 's': unit = kNanosPerSecond; break;
    case 'm': unit = 60 * kNanosPerSecond; break;
    case 'h': unit = 3600 * kNanosPerSecond; break;
    default: return std::nullopt;
  }
  NanoTime count = 0;
  for (char c : text.substr(0, text.size() - 1)) {
    if (!is_digit(c)) return std::nullopt;
    count = count * 10 + (c - '0');
  }
  if (count == 0 || count > kMaxSeconds / 3600) return std::nullopt;
  return count * unit;
}

TimeWindow make_time_window(const std::string& from, const std::string& to, const std::string& last, NanoTime now) {
  const std::string allowed = "expected RFC 3339 (2026-11-30T10:02:00Z, any fraction, Z or +hh:mm) or Unix seconds";
  if (!last.empty()) {
    if (!from.empty() || !to.empty()) throw UsageError("--last cannot be combined with --from/--to");
    auto span = parse_duration_argument(last);
    if (!span) throw UsageError("--last '" + last + "': expected a whole number with s, m or h (90s, 5m, 2h)");
    return {now - *span, now};
  }
  if (from.empty() || to.empty()) throw UsageError("a window is needed: --from T --to T, or --last 5m");
  auto begin = parse_time_argument(from);
  if (!begin) throw UsageError("--from '" + from + "': " + allowed);
  auto end = parse_time_argument(to);
  if (!end) throw UsageError("--to '" + to + "': " + allowed);
  if (*end <= *begin)
    throw UsageError("window --from '" + from + "' --to '" + to + "' is " + (*end < *begin ? "reversed" : "empty") +
                     "; --to must be later than --from");
  return {*begin, *end};
}

}  // namespace pcap_ring
