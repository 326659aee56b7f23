#include "retention.h"

#include <gtest/gtest.h>

namespace pcap_ring {
namespace {

std::vector<FileRecord> files(std::initializer_list<std::uint64_t> sizes) {
  std::vector<FileRecord> out;
  std::uint64_t seq = 10;
  for (auto s : sizes) out.push_back({"f" + std::to_string(seq), seq++, 0, 0, 1, s, 0});
  return out;
}

TEST(Retention, FileLimitCountsTheLiveFile) {
  auto f = files({100, 100, 100});
  EXPECT_TRUE(select_for_deletion(f, {3, 0}, false, 0).empty());
  EXPECT_EQ(select_for_deletion(f, {3, 0}, true, 100), (std::vector<std::uint64_t>{10}));
  EXPECT_EQ(select_for_deletion(f, {1, 0}, true, 100), (std::vector<std::uint64_t>{10, 11, 12}));
}

TEST(Retention, ByteBudgetReservesRoomForTheNextFile) {
  auto f = files({400, 300, 200});
  // 900 finished + 250 reserved > 1000: delete oldest until 500 + 250 <= 1000.
  EXPECT_EQ(select_for_deletion(f, {100, 1000}, true, 250), (std::vector<std::uint64_t>{10}));
  EXPECT_EQ(select_for_deletion(f, {100, 600}, true, 250), (std::vector<std::uint64_t>{10, 11}));
  EXPECT_TRUE(select_for_deletion(f, {100, 0}, true, 250).empty());  // 0 = no budget
}

TEST(Retention, OldestFirstAndNothingWithinLimits) {
  EXPECT_TRUE(select_for_deletion({}, {1, 10}, true, 10).empty());
  auto f = files({1, 1, 1, 1});
  auto v = select_for_deletion(f, {2, 0}, true, 0);
  EXPECT_EQ(v, (std::vector<std::uint64_t>{10, 11, 12}));
}

}  // namespace
}  // namespace pcap_ring
