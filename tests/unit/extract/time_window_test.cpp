#include "extract/time_window.h"

#include <gtest/gtest.h>

#include "common/exit_codes.h"

namespace pcap_ring {
namespace {

constexpr NanoTime kT = 1764496800LL * kNanosPerSecond;  // 2025-11-30T10:00:00Z

TEST(TimeArgument, Rfc3339WithAnyFractionAndOffset) {
  EXPECT_EQ(parse_time_argument("2025-11-30T10:00:00Z"), kT);
  EXPECT_EQ(parse_time_argument("2025-11-30T10:00:00.5Z"), kT + 500'000'000);
  EXPECT_EQ(parse_time_argument("2025-11-30T10:00:00.123456789Z"), kT + 123'456'789);
  EXPECT_EQ(parse_time_argument("2025-11-30T10:00:00.1234567891234z"), kT + 123'456'789);  // beyond ns: dropped
  EXPECT_EQ(parse_time_argument("2025-11-30T11:30:00+01:30"), kT);
  EXPECT_EQ(parse_time_argument("2025-11-30T08:00:00-02:00"), kT);
  EXPECT_EQ(parse_time_argument("2025-11-30 10:00:00Z"), kT);
}

TEST(TimeArgument, UnixSeconds) {
  EXPECT_EQ(parse_time_argument("1764496800"), kT);
  EXPECT_EQ(parse_time_argument("1764496800.000000001"), kT + 1);
  EXPECT_EQ(parse_time_argument("1764496800.25"), kT + 250'000'000);
}

TEST(TimeArgument, RefusesWhatIsNotATime) {
  for (const char* bad : {"", "yesterday", "2025-11-30T10:00:00", "2025-13-30T10:00:00Z", "2025-02-31T10:00:00Z",
                          "2025-11-30T10:00:00.Z", "2025-11-30T25:00:00Z", "2025-11-30T10:00:00+1:00", "17644968OO",
                          "1764496800.", "-5", "99999999999999999999", "2025-11-30T10:00:00Zjunk",
                          "9999-12-31T23:59:59Z", "2262-04-12T00:00:00Z", "1970-01-01T00:00:00+01:00"})
    EXPECT_FALSE(parse_time_argument(bad).has_value()) << bad;
}

TEST(DurationArgument, SecondsMinutesHours) {
  EXPECT_EQ(parse_duration_argument("90s"), 90 * kNanosPerSecond);
  EXPECT_EQ(parse_duration_argument("5m"), 300 * kNanosPerSecond);
  EXPECT_EQ(parse_duration_argument("2h"), 7200 * kNanosPerSecond);
  for (const char* bad : {"", "5", "m", "0m", "5 m", "5d", "-5m", "1.5h", "99999999999h"})
    EXPECT_FALSE(parse_duration_argument(bad).has_value()) << bad;
}

TEST(TimeWindowArguments, LastEndsNow) {
  TimeWindow w = make_time_window("", "", "5m", kT);
  EXPECT_EQ(w.from, kT - 300 * kNanosPerSecond);
  EXPECT_EQ(w.to, kT);
}

TEST(TimeWindowArguments, HalfOpenLikeEditcap) {
  TimeWindow w = make_time_window("1764496800", "1764496801", "", 0);
  EXPECT_TRUE(w.contains(kT));
  EXPECT_FALSE(w.contains(kT + kNanosPerSecond));
  EXPECT_TRUE(w.overlaps(kT - 10, kT));
  EXPECT_FALSE(w.overlaps(kT - 10, kT - 1));
}

TEST(TimeWindowArguments, BadWindowsAreUsageErrorsNamingTheValue) {
  auto message = [](const std::string& from, const std::string& to, const std::string& last) -> std::string {
    try {
      make_time_window(from, to, last, kT);
    } catch (const StartupError& e) {
      EXPECT_EQ(e.code(), kExitUsage);
      return e.what();
    }
    return "";
  };
  EXPECT_NE(message("1764496801", "1764496800", "").find("reversed"), std::string::npos);
  EXPECT_NE(message("1764496800", "1764496800", "").find("empty"), std::string::npos);
  EXPECT_NE(message("noon", "1764496800", "").find("'noon'"), std::string::npos);
  EXPECT_NE(message("1764496800", "", "").find("--from T --to T"), std::string::npos);
  EXPECT_NE(message("1764496800", "", "5m").find("--last"), std::string::npos);
  EXPECT_NE(message("", "", "5x").find("'5x'"), std::string::npos);
}

}  // namespace
}  // namespace pcap_ring
