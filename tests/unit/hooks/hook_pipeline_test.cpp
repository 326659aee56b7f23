#include "hooks/hook_pipeline.h"

#include <gtest/gtest.h>

#include <fstream>

#include "hooks/stage_list.h"
#include "support/test_support.h"

namespace pcap_ring {
namespace {

using testing::wait_until;

// Hooks are real processes; the pipeline's own time (backoff, drain deadlines) is a manual
// clock the tests move, so nothing here waits for a retry to come due.
class HookPipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(hooks());
    std::filesystem::create_directories(ring());
  }
  std::string hooks() { return dir.file("hooks.d"); }
  std::string ring() { return dir.file("ring"); }
  std::string log_path() { return dir.file("log"); }
  void hook(const std::string& name, const std::string& body, mode_t mode = 0755) {
    testing::write_script(hooks() + "/" + name, body, mode);
  }
  // A finished file on disk and its record.
  FileRecord file(std::uint64_t seq) {
    std::string name = ring_file_name({"pcap", "t"}, seq, FileFormat::kPcap);
    testing::write_text_file(ring() + "/" + name, "data");
    return {name, seq, 1, 2, 1, 4, 0};
  }
  HookPipelineOptions options() {
    HookPipelineOptions o;
    o.state_path = ring() + "/" + state_file_name(RingId{"pcap", "t"}, StateFile::kHooks);
    o.ring_dir = ring();
    o.stages.hooks_dir = hooks();
    o.stages.interface_name = "t";
    o.stages.base_env = {"PATH=/usr/bin:/bin", "LOG=" + log_path()};
    o.stages.timeout = std::chrono::seconds(10);
    o.backoff_initial = kNanosPerSecond;
    return o;
  }
  std::vector<std::string> log_lines() {
    std::ifstream in(log_path());
    std::vector<std::string> out;
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
  }
  void advance(HookPipeline& p, NanoTime ns) {
    clock.advance(ns);
    p.wake();
  }
  // Lets the pipeline finish what is runnable now, then stops it without waiting for retries.
  void drain(HookPipeline& p) { p.stop(clock.monotonic() + 10 * kNanosPerSecond); }
  testing::TempDir dir;
  testing::ManualClock clock;
};

TEST_F(HookPipelineTest, StagesRunInOrderWithRunPartsRules) {
  hook("20-second", "echo \"second $PCAP_SEQUENCE $PCAP_PACKETS\" >> $LOG");
  hook("10-first", "echo \"first $PCAP_SEQUENCE\" >> $LOG");
  hook(".hidden", "echo hidden >> $LOG");
  hook("30-old~", "echo backup >> $LOG");
  hook("40-x.dpkg-old", "echo dpkg >> $LOG");
  hook("50-notexec", "echo notexec >> $LOG", 0644);
  EXPECT_EQ(list_hook_executables(hooks()), (std::vector<std::string>{"10-first", "20-second"}));
  auto o = options();
  o.stages.post_rotate = "/bin/sh -c 'echo post >> $LOG'";
  HookPipeline p(o, clock);
  p.load();
  p.reconcile({});
  p.start();
  p.enqueue(file(1));
  p.enqueue(file(2));
  drain(p);
  EXPECT_EQ(log_lines(), (std::vector<std::string>{"first 1", "second 1 1", "post", "first 2", "second 2 1", "post"}));
  auto snap = p.snapshot();
  EXPECT_EQ(snap.backlog, 0u);
  EXPECT_EQ(snap.stats.stages_succeeded, 6u);
  EXPECT_EQ(snap.stats.files_done, 2u);
}

TEST_F(HookPipelineTest, TempFailRetriesWithBackoffAndLaterStagesWait) {
  hook("10-flaky", "echo \"flaky $PCAP_HOOK_ATTEMPT\" >> $LOG\n[ $PCAP_HOOK_ATTEMPT -ge 3 ] || exit 75");
  hook("20-after", "echo after >> $LOG");
  HookPipeline p(options(), clock);
  p.load();
  p.reconcile({});
  p.start();
  p.enqueue(file(1));
  ASSERT_TRUE(wait_until([&] { return p.snapshot().stats.stages_retried == 1; }));
  // The second attempt is due a second later (backoff_initial), not before.
  advance(p, kNanosPerSecond / 2);
  EXPECT_EQ(p.snapshot().stats.stages_retried, 1u);
  advance(p, kNanosPerSecond / 2);
  ASSERT_TRUE(wait_until([&] { return p.snapshot().stats.stages_retried == 2; }));
  // The third waits twice as long.
  advance(p, 2 * kNanosPerSecond);
  ASSERT_TRUE(wait_until([&] { return p.snapshot().stats.files_done == 1; }));
  p.stop(clock.monotonic());
  EXPECT_EQ(log_lines(), (std::vector<std::string>{"flaky 1", "flaky 2", "flaky 3", "after"}));
  EXPECT_EQ(p.snapshot().stats.stages_retried, 2u);
}

TEST_F(HookPipelineTest, FailureSkipsLaterStagesAndIsRecorded) {
  hook("10-fail", "echo boom >&2\nexit 3");
  hook("20-after", "echo after >> $LOG");
  HookPipeline p(options(), clock);
  p.load();
  p.reconcile({});
  p.start();
  p.enqueue(file(1));
  drain(p);
  EXPECT_TRUE(log_lines().empty());
  auto snap = p.snapshot();
  EXPECT_EQ(snap.stats.stages_failed, 1u);
  ASSERT_EQ(snap.recent_failures.size(), 1u);
  EXPECT_EQ(snap.recent_failures[0].stage, "10-fail");
  EXPECT_EQ(snap.recent_failures[0].outcome, "exit 3");
  EXPECT_EQ(snap.recent_failures[0].stderr_tail, "boom\n");
}

TEST_F(HookPipelineTest, QueueSurvivesARestartAndSucceededStagesDoNotRunAgain) {
  hook("10-once", "echo \"once $PCAP_SEQUENCE\" >> $LOG");
  hook("20-later", "[ -e " + dir.file("go") + " ] || exit 75\necho \"later $PCAP_SEQUENCE\" >> $LOG");
  auto o = options();
  o.backoff_initial = 60 * kNanosPerSecond;
  {
    HookPipeline p(o, clock);
    p.load();
    p.reconcile({});
    p.start();
    p.enqueue(file(1));
    ASSERT_TRUE(wait_until([&] { return p.snapshot().stats.stages_retried == 1; }));
    p.stop(clock.monotonic());  // no drain: stop now
    EXPECT_EQ(p.snapshot().backlog, 1u);
  }
  testing::write_text_file(dir.file("go"), "");
  HookPipeline again(o, clock);
  again.load();
  EXPECT_EQ(again.state_of(1), HookState::kWaiting);
  again.reconcile({file(1)});
  again.start();
  // The retry time stored before the restart is a minute away: not yet.
  advance(again, 30 * kNanosPerSecond);
  EXPECT_EQ(again.snapshot().backlog, 1u);
  advance(again, 31 * kNanosPerSecond);
  ASSERT_TRUE(wait_until([&] { return again.snapshot().backlog == 0; }));
  again.stop(clock.monotonic());
  EXPECT_EQ(log_lines(), (std::vector<std::string>{"once 1", "later 1"}));
}

TEST_F(HookPipelineTest, FilesFinishedButNotQueuedBeforeACrashAreQueuedAtStart) {
  hook("10-log", "echo \"seen $PCAP_SEQUENCE\" >> $LOG");
  {
    HookPipeline p(options(), clock);
    p.load();
    p.reconcile({file(1)});  // first start: existing files are not handed to hooks
    p.start();
    p.stop(clock.monotonic());
  }
  HookPipeline p(options(), clock);
  p.load();
  p.reconcile({file(1), file(2), file(3)});  // 2 and 3 were finished, never queued
  p.start();
  drain(p);
  EXPECT_EQ(log_lines(), (std::vector<std::string>{"seen 2", "seen 3"}));
}

TEST_F(HookPipelineTest, RunningFileIsPinnedAndEvictionDropsWaitingJobs) {
  // The hook runs until the test lets it finish.
  hook("10-slow", "touch " + dir.file("started") + "\nwhile [ ! -e " + dir.file("release") + " ]; do sleep 0.01; done");
  HookPipeline p(options(), clock);
  p.load();
  p.reconcile({});
  p.start();
  p.enqueue(file(1));
  p.enqueue(file(2));
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(dir.file("started")); }));
  EXPECT_EQ(p.state_of(1), HookState::kRunning);
  EXPECT_EQ(p.state_of(2), HookState::kWaiting);
  EXPECT_EQ(p.state_of(3), HookState::kIdle);
  EXPECT_EQ(p.claim_for_deletion(1), HookClaim::kRefused);  // a hook is running on it
  EXPECT_EQ(p.claim_for_deletion(2), HookClaim::kEvictedJob);
  EXPECT_EQ(p.state_of(2), HookState::kIdle);
  EXPECT_EQ(p.claim_for_deletion(3), HookClaim::kNoJob);
  testing::write_text_file(dir.file("release"), "");
  drain(p);
  EXPECT_EQ(p.snapshot().stats.files_evicted, 1u);
  EXPECT_EQ(p.snapshot().stats.files_done, 1u);
}

// A queue file as an attacker who can write the ring directory would plant it.
void plant_queue(const std::string& path, const FileRecord& file, std::vector<std::string> stages,
                 NanoTime not_before = 0) {
  HookQueueState state;
  HookJob job;
  job.file = file;
  job.stages = std::move(stages);
  job.stages_resolved = true;
  job.not_before = not_before;
  state.jobs.push_back(job);
  state.last_enqueued = file.sequence;
  ASSERT_EQ(save_hook_queue(path, state), 0);
}

TEST_F(HookPipelineTest, PlantedQueueStageOutsideHooksDirNeverRuns) {
  std::filesystem::create_directories(dir.file("att"));
  std::ofstream(dir.file("att/x")) << "#!/bin/sh\ntouch " << dir.file("ran") << "\n";
  chmod(dir.file("att/x").c_str(), 0755);
  auto o = options();
  FileRecord f = file(1);
  plant_queue(o.state_path, f, {"../att/x"});
  HookPipeline p(o, clock);
  p.load();
  p.reconcile({f});
  p.start();
  drain(p);
  EXPECT_FALSE(std::filesystem::exists(dir.file("ran")));
  EXPECT_EQ(p.snapshot().backlog, 0u);
  EXPECT_EQ(p.snapshot().stats.stages_failed, 1u);
}

TEST_F(HookPipelineTest, QueuedStageNoLongerInHooksDirFailsTheFile) {
  hook("20-after", "echo after >> $LOG");
  auto o = options();
  FileRecord f = file(1);
  plant_queue(o.state_path, f, {"10-gone", "20-after"});
  HookPipeline p(o, clock);
  p.load();
  p.reconcile({f});
  p.start();
  drain(p);
  EXPECT_TRUE(log_lines().empty());
  auto snap = p.snapshot();
  EXPECT_EQ(snap.backlog, 0u);
  EXPECT_EQ(snap.stats.stages_failed, 1u);
  ASSERT_EQ(snap.recent_failures.size(), 1u);
  EXPECT_EQ(snap.recent_failures[0].stage, "10-gone");
}

TEST_F(HookPipelineTest, RetryTimeADayAheadIsDueWithinOneLongestBackoff) {
  hook("10-log", "echo \"seen $PCAP_SEQUENCE\" >> $LOG");
  auto o = options();
  o.backoff_max = kNanosPerSecond;
  FileRecord f = file(1);
  plant_queue(o.state_path, f, {"10-log"}, clock.now() + 86400 * kNanosPerSecond);
  HookPipeline p(o, clock);
  p.load();
  p.reconcile({f});
  p.start();
  // Clamped on load to one longest backoff: due a second later, not a day later.
  EXPECT_TRUE(log_lines().empty());
  advance(p, kNanosPerSecond);
  ASSERT_TRUE(wait_until([&] { return p.snapshot().stats.files_done == 1; }));
  p.stop(clock.monotonic());
  EXPECT_EQ(log_lines(), (std::vector<std::string>{"seen 1"}));
}

}  // namespace
}  // namespace pcap_ring
