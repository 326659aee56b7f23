#include "common/timestamp.h"

#include <time.h>

#include <cstdio>

namespace pcap_ring {

std::string format_rfc3339_ns(NanoTime t) {
  NanoTime secs = t / kNanosPerSecond;
  NanoTime frac = t % kNanosPerSecond;
  if (frac < 0) {
    frac += kNanosPerSecond;
    secs -= 1;
  }
  time_t tt = static_cast<time_t>(secs);
  struct tm tm_utc {};
  gmtime_r(&tt, &tm_utc);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm_utc.tm_year + 1900,
                tm_utc.tm_mon + 1, tm_utc.tm_mday, tm_utc.tm_hour, tm_utc.tm_min, tm_utc.tm_sec,
                static_cast<long long>(frac));
  return buf;
}

std::optional<NanoTime> parse_rfc3339(std::string_view text) {
  struct tm tm_utc {};
  std::string s(text);
  const char* rest = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm_utc);
  if (!rest) return std::nullopt;
  NanoTime frac = 0;
  if (*rest == '.') {
    ++rest;
    int digits = 0;
    while (*rest >= '0' && *rest <= '9') {
      if (digits >= 9) return std::nullopt;
      frac = frac * 10 + (*rest - '0');
      ++digits;
      ++rest;
    }
    if (digits == 0) return std::nullopt;
    for (int i = digits; i < 9; ++i) frac *= 10;
  }
  if (*rest != 'Z' || rest[1] != '\0') return std::nullopt;
  return static_cast<NanoTime>(timegm(&tm_utc)) * kNanosPerSecond + frac;
}

NanoTime SystemClock::now() const {
  struct timespec ts {};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<NanoTime>(ts.tv_sec) * kNanosPerSecond + ts.tv_nsec;
}

NanoTime SystemClock::monotonic() const {
  struct timespec ts {};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<NanoTime>(ts.tv_sec) * kNanosPerSecond + ts.tv_nsec;
}

}  // namespace pcap_ring
