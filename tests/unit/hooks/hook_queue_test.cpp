#include "hooks/hook_queue.h"

#include <gtest/gtest.h>

#include <fstream>

#include "support/test_support.h"

namespace pcap_ring {
namespace {

HookQueueState sample_state() {
  HookQueueState state;
  state.last_enqueued = 9;
  state.stats = {5, 1, 2, 1, 4, 3};
  state.recent_failures.push_back({"pcap-eth0-000003.pcap", "10-upload", "exit 3", "boom\n", 1'700'000'000'000000001LL});
  HookJob waiting;
  waiting.file = {"pcap-eth0-000008.pcap", 8, 1'700'000'000'123456789LL, 1'700'000'001'000000000LL, 2, 10, 1};
  waiting.stages = {"10-upload", "post-rotate"};
  waiting.stages_resolved = true;
  waiting.next_stage = 1;
  waiting.attempt = 3;
  waiting.not_before = 1'700'000'100'000000000LL;
  HookJob fresh;
  fresh.file = {"pcap-eth0-000009.pcap", 9, 0, 0, 0, 24, 0};
  state.jobs = {waiting, fresh};
  return state;
}

TEST(HookQueue, SaveAndLoadRoundTrip) {
  testing::TempDir dir;
  std::string path = dir.file(".pcap-eth0.hooks");
  HookQueueState saved = sample_state();
  ASSERT_EQ(save_hook_queue(path, saved), 0);
  auto loaded = load_hook_queue(path);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->last_enqueued, saved.last_enqueued);
  EXPECT_EQ(loaded->stats.stages_succeeded, 5u);
  EXPECT_EQ(loaded->stats.stages_failed, 1u);
  EXPECT_EQ(loaded->stats.stages_retried, 2u);
  EXPECT_EQ(loaded->stats.stages_timed_out, 1u);
  EXPECT_EQ(loaded->stats.files_done, 4u);
  EXPECT_EQ(loaded->stats.files_evicted, 3u);
  ASSERT_EQ(loaded->recent_failures.size(), 1u);
  const HookFailure& f = loaded->recent_failures.front();
  EXPECT_EQ(f.file, "pcap-eth0-000003.pcap");
  EXPECT_EQ(f.stage, "10-upload");
  EXPECT_EQ(f.outcome, "exit 3");
  EXPECT_EQ(f.stderr_tail, "boom\n");
  EXPECT_EQ(f.when, 1'700'000'000'000000001LL);
  ASSERT_EQ(loaded->jobs.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    const HookJob& a = saved.jobs[i];
    const HookJob& b = loaded->jobs[i];
    EXPECT_EQ(b.file.file, a.file.file);
    EXPECT_EQ(b.file.sequence, a.file.sequence);
    EXPECT_EQ(b.file.first, a.file.first);
    EXPECT_EQ(b.file.last, a.file.last);
    EXPECT_EQ(b.file.packets, a.file.packets);
    EXPECT_EQ(b.file.bytes, a.file.bytes);
    EXPECT_EQ(b.file.drops, a.file.drops);
    EXPECT_EQ(b.stages, a.stages);
    EXPECT_EQ(b.stages_resolved, a.stages_resolved);
    EXPECT_EQ(b.next_stage, a.next_stage);
    EXPECT_EQ(b.attempt, a.attempt);
    EXPECT_EQ(b.not_before, a.not_before);
  }
}

TEST(HookQueue, FileFormatFieldNamesStay) {
  testing::TempDir dir;
  std::string path = dir.file(".pcap-eth0.hooks");
  ASSERT_EQ(save_hook_queue(path, sample_state()), 0);
  auto j = nlohmann::json::parse(testing::read_text_file(path));
  for (const char* key : {"last_enqueued", "stats", "failures", "jobs"}) EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j["stats"]["stages_succeeded"], 5);
  EXPECT_EQ(j["failures"][0]["stderr"], "boom\n");
  EXPECT_EQ(j["failures"][0]["when_ns"], 1'700'000'000'000000001LL);
  EXPECT_EQ(j["jobs"][0]["not_before_ns"], 1'700'000'100'000000000LL);
  EXPECT_EQ(j["jobs"][0]["file"]["first_ns"], 1'700'000'000'123456789LL);
  EXPECT_EQ(j["jobs"][0]["file"]["first"], "2023-11-14T22:13:20.123456789Z");
}

TEST(HookQueue, EmptyQueueRoundTripsWithoutALastSequence) {
  testing::TempDir dir;
  std::string path = dir.file(".pcap-eth0.hooks");
  ASSERT_EQ(save_hook_queue(path, HookQueueState{}), 0);
  auto loaded = load_hook_queue(path);
  ASSERT_TRUE(loaded);
  EXPECT_FALSE(loaded->last_enqueued);
  EXPECT_TRUE(loaded->jobs.empty());
}

TEST(HookQueue, MissingFileIsNoQueueAndDamageIsReported) {
  testing::TempDir dir;
  EXPECT_FALSE(load_hook_queue(dir.file("missing")));
  testing::write_text_file(dir.file("bad"), "{\"jobs\": 3}");
  EXPECT_THROW(load_hook_queue(dir.file("bad")), std::runtime_error);
  // A queued file name must stay inside the ring directory.
  testing::write_text_file(dir.file("escape"),
                           R"({"last_enqueued":1,"stats":{},"failures":[],"jobs":[{"file":{"file":"../x.pcap",)"
                           R"("sequence":1,"first_ns":0,"last_ns":0,"packets":0,"bytes":0,"drops":0},"stages":[],)"
                           R"("stages_resolved":false,"next_stage":0,"attempt":1,"not_before_ns":0}]})");
  EXPECT_THROW(load_hook_queue(dir.file("escape")), std::runtime_error);
}

TEST(HookQueue, NumbersOutOfRangeMakeTheQueueDamaged) {
  testing::TempDir dir;
  const std::string rest = R"("stats":{},"failures":[],"jobs":[]})";
  for (const char* last : {"-5", "1e30", "18446744073709551616", "1.5"}) {
    std::ofstream(dir.file("q.hooks")) << R"({"last_enqueued":)" << last << "," << rest;
    EXPECT_THROW((void)load_hook_queue(dir.file("q.hooks")), std::runtime_error) << last;
  }
  std::ofstream(dir.file("q.hooks")) << R"({"last_enqueued":7,"stats":{"files_done":-1},"failures":[],"jobs":[]})";
  EXPECT_THROW((void)load_hook_queue(dir.file("q.hooks")), std::runtime_error);
}

}  // namespace
}  // namespace pcap_ring
