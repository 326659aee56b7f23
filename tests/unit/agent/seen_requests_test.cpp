#include "agent/seen_requests.h"

#include <gtest/gtest.h>

#include "support/test_support.h"

namespace pcap_ring {
namespace {

using testing::TempDir;
using testing::read_text_file;
using testing::write_text_file;

constexpr NanoTime kSecond = kNanosPerSecond;
constexpr NanoTime kNow = 1'796'032'800 * kSecond;

TEST(SeenRequests, AcceptedIdsSurviveARestart) {
  TempDir dir;
  const std::string path = dir.file("seen");
  {
    SeenRequests seen;
    ASSERT_EQ(seen.open(path, kNow), 0);
    EXPECT_FALSE(seen.seen("r1"));
    ASSERT_EQ(seen.record("r1", kNow + 240 * kSecond, kNow), 0);
    ASSERT_EQ(seen.record("alert-7:2", kNow + 240 * kSecond, kNow + kSecond), 0);
    EXPECT_TRUE(seen.seen("r1"));
  }
  SeenRequests again;
  ASSERT_EQ(again.open(path, kNow + 10 * kSecond), 0);
  EXPECT_TRUE(again.seen("r1"));
  EXPECT_TRUE(again.seen("alert-7:2"));
  EXPECT_EQ(again.size(), 2u);
}

TEST(SeenRequests, IdsAreForgottenOnceNoLongerAcceptable) {
  TempDir dir;
  const std::string path = dir.file("seen");
  {
    SeenRequests seen;
    ASSERT_EQ(seen.open(path, kNow), 0);
    ASSERT_EQ(seen.record("old", kNow + 240 * kSecond, kNow), 0);
    ASSERT_EQ(seen.record("new", kNow + 440 * kSecond, kNow + 200 * kSecond), 0);
  }
  SeenRequests later;
  ASSERT_EQ(later.open(path, kNow + 300 * kSecond), 0);
  EXPECT_FALSE(later.seen("old"));
  EXPECT_TRUE(later.seen("new"));
  EXPECT_EQ(read_text_file(path), std::to_string(kNow + 440 * kSecond) + " new\n");  // rewritten without it
}

TEST(SeenRequests, DamagedLinesAreDroppedNotTrusted) {
  TempDir dir;
  const std::string path = dir.file("seen");
  write_text_file(path, std::to_string(kNow) + " good\n" + "garbage\n" + "12x bad-number\n" + std::to_string(kNow) +
                            " ../../etc\n" + std::to_string(kNow) + " cut-by-a-crash");
  SeenRequests seen;
  ASSERT_EQ(seen.open(path, kNow), 0);
  EXPECT_TRUE(seen.seen("good"));
  EXPECT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen.dropped_lines(), 4u);
  EXPECT_EQ(seen.record("../x", kNow, kNow), EINVAL);
}

TEST(SeenRequests, ASymlinkInPlaceOfTheFileIsRefused) {
  TempDir dir;
  write_text_file(dir.file("target"), "");
  ASSERT_EQ(::symlink(dir.file("target").c_str(), dir.file("seen").c_str()), 0);
  SeenRequests seen;
  EXPECT_EQ(seen.open(dir.file("seen"), kNow), ELOOP);
}

}  // namespace
}  // namespace pcap_ring
