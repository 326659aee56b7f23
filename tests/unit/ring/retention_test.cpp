#include "ring/retention.h"

#include <gtest/gtest.h>

namespace pcap_ring {
namespace {

std::vector<std::uint64_t> seqs(const std::vector<Deletion>& d) {
  std::vector<std::uint64_t> out;
  for (const auto& x : d) out.push_back(x.sequence);
  return out;
}

std::vector<FileRecord> files(std::initializer_list<std::uint64_t> sizes) {
  std::vector<FileRecord> out;
  std::uint64_t seq = 10;
  for (auto s : sizes) out.push_back({"f" + std::to_string(seq), seq++, 0, 0, 1, s, 0});
  return out;
}

TEST(Retention, FileLimitCountsTheLiveFile) {
  auto f = files({100, 100, 100});
  EXPECT_TRUE(select_for_deletion(f, {3, 0}, 0, 0).empty());
  EXPECT_EQ(seqs(select_for_deletion(f, {3, 0}, 1, 100)), (std::vector<std::uint64_t>{10}));
  EXPECT_EQ(seqs(select_for_deletion(f, {1, 0}, 1, 100)), (std::vector<std::uint64_t>{10, 11, 12}));
}

// Files not yet in the index (the live one, the next one, files still being published)
// count as many times as there are of them, in files and in bytes.
TEST(Retention, EveryUnfinishedFileCounts) {
  auto f = files({100, 100, 100});
  EXPECT_EQ(seqs(select_for_deletion(f, {3, 0}, 2, 200)), (std::vector<std::uint64_t>{10, 11}));
  EXPECT_EQ(seqs(select_for_deletion(f, {5, 0}, 2, 200)), (std::vector<std::uint64_t>{}));
  EXPECT_EQ(seqs(select_for_deletion(f, {100, 450}, 3, 300)), (std::vector<std::uint64_t>{10, 11}));
}

TEST(Retention, ByteBudgetReservesRoomForTheNextFile) {
  auto f = files({400, 300, 200});
  // 900 finished + 250 reserved > 1000: delete oldest until 500 + 250 <= 1000.
  EXPECT_EQ(seqs(select_for_deletion(f, {100, 1000}, 1, 250)), (std::vector<std::uint64_t>{10}));
  EXPECT_EQ(seqs(select_for_deletion(f, {100, 600}, 1, 250)), (std::vector<std::uint64_t>{10, 11}));
  EXPECT_TRUE(select_for_deletion(f, {100, 0}, 1, 250).empty());  // 0 = no budget
}

TEST(Retention, OldestFirstAndNothingWithinLimits) {
  EXPECT_TRUE(select_for_deletion({}, {1, 10}, 1, 10).empty());
  auto f = files({1, 1, 1, 1});
  auto v = seqs(select_for_deletion(f, {2, 0}, 1, 0));
  EXPECT_EQ(v, (std::vector<std::uint64_t>{10, 11, 12}));
}

TEST(Retention, FilesWaitingForHooksAreKeptWithinTheBacklogBudget) {
  auto f = files({100, 100, 100, 100});  // seq 10..13
  auto waiting = [](std::uint64_t seq) { return seq <= 11 ? HookState::kWaiting : HookState::kIdle; };
  // Limit 2 (live included): 10 and 11 wait for hooks, so 12 goes first; 13 remains with them.
  auto d = select_for_deletion(f, {2, 0, 1000}, 1, 100, waiting);
  ASSERT_EQ(seqs(d), (std::vector<std::uint64_t>{12, 13}));
  EXPECT_FALSE(d[0].evicted_waiting);
  // Past the backlog budget (500 bytes with the live file) the oldest waiting file is evicted.
  d = select_for_deletion(f, {2, 0, 250}, 1, 100, waiting);
  EXPECT_EQ(seqs(d), (std::vector<std::uint64_t>{12, 13, 10}));
  EXPECT_TRUE(d[2].evicted_waiting);
}

TEST(Retention, RunningHooksPinTheirFile) {
  auto f = files({100, 100, 100});
  auto running = [](std::uint64_t seq) { return seq == 10 ? HookState::kRunning : HookState::kWaiting; };
  auto d = select_for_deletion(f, {1, 150, 0}, 1, 0, running);
  EXPECT_EQ(seqs(d), (std::vector<std::uint64_t>{11, 12}));  // 10 stays even over budget
}

}  // namespace
}  // namespace pcap_ring
