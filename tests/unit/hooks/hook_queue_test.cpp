#include "hooks/hook_queue.h"

#include <gtest/gtest.h>

#include <fstream>
#include <stdexcept>

#include "support/test_support.h"

namespace pcap_ring {
namespace {

TEST(HookQueue, SavedStateLoadsUnchanged) {
  testing::TempDir dir;
  HookQueueState state;
  HookJob job;
  job.file = {"pcap-eth0-000002.pcap", 2, 10, 20, 3, 300, 0};
  job.stages = {"10-s3", "20-cloudshark"};
  job.stages_resolved = true;
  job.next_stage = 1;
  job.attempt = 2;
  state.jobs.push_back(job);
  state.last_enqueued = 2;
  state.stats.files_done = 1;
  ASSERT_EQ(save_hook_queue(dir.file("q.hooks"), state), 0);
  auto loaded = load_hook_queue(dir.file("q.hooks"));
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->last_enqueued, 2u);
  EXPECT_EQ(loaded->stats.files_done, 1u);
  ASSERT_EQ(loaded->jobs.size(), 1u);
  EXPECT_EQ(loaded->jobs[0].stages, job.stages);
  EXPECT_EQ(loaded->jobs[0].next_stage, 1u);
  EXPECT_EQ(loaded->jobs[0].attempt, 2u);
}

TEST(HookQueue, NumbersOutOfRangeMakeTheQueueDamaged) {
  testing::TempDir dir;
  const std::string rest = R"("stats":{},"failures":[],"jobs":[]})";
  for (const char* last : {"-5", "1e30", "18446744073709551616", "1.5"}) {
    std::ofstream(dir.file("q.hooks")) << R"({"last_enqueued":)" << last << "," << rest;
    EXPECT_THROW(load_hook_queue(dir.file("q.hooks")), std::runtime_error) << last;
  }
  std::ofstream(dir.file("q.hooks")) << R"({"last_enqueued":7,"stats":{"files_done":-1},"failures":[],"jobs":[]})";
  EXPECT_THROW(load_hook_queue(dir.file("q.hooks")), std::runtime_error);
}

}  // namespace
}  // namespace pcap_ring
