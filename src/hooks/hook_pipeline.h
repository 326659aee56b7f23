// The post-rotate hook pipeline. Every finished file is queued durably and goes through its
// stages in order on worker threads (--hook-jobs files at once); capture never waits for it.
// Exit 0 moves a file to its next stage, 75 retries the stage later with exponential
// backoff, anything else fails the file (later stages skipped). Failures are logged with
// the end of the hook's stderr and counted.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "hooks/hook_queue.h"
#include "hooks/stage_list.h"
#include "ring/retention.h"
#include "common/timestamp.h"

namespace pcap_ring {

struct HookPipelineOptions {
  std::string state_path;  // the durable queue file
  std::string ring_dir;    // finished files live here
  StageContext stages;
  unsigned jobs = 1;
  NanoTime backoff_initial = kNanosPerSecond;
  NanoTime backoff_max = 300 * kNanosPerSecond;
};

struct HookPipelineSnapshot {
  std::size_t backlog = 0;  // files with stages left
  std::size_t running = 0;
  HookStats stats;
  std::deque<HookFailure> recent_failures;
};

class HookPipeline {
 public:
  HookPipeline(HookPipelineOptions options, const Clock& clock);
  ~HookPipeline();
  HookPipeline(const HookPipeline&) = delete;
  HookPipeline& operator=(const HookPipeline&) = delete;

  // Start-up, before the ring opens: reads the durable queue (errors are logged; a damaged
  // queue is kept aside under a new name, not fatal, and reconcile() queues every finished file
  // again).
  void load();
  // After the ring opened: queue finished files the queue has not seen (a crash between
  // finishing a file and queueing it) and drop jobs whose file is gone.
  void reconcile(const std::vector<FileRecord>& finished);

  // Thread-safe: a file became final. Persisted before it returns.
  void enqueue(const FileRecord& file);
  // Thread-safe, for retention.
  HookState state_of(std::uint64_t sequence);
  // Retention is about to delete a file: refused while a hook runs on it; otherwise its
  // pending stages (if any) are dropped, under the same lock that starts hooks.
  HookClaim claim_for_deletion(std::uint64_t sequence);

  void start();
  // Stops taking new work once nothing is runnable before `drain_until` (monotonic);
  // hooks still running then are cancelled (SIGTERM, SIGKILL) and their stage runs again
  // at the next start.
  void stop(NanoTime drain_until);

  // Wakes the workers to read the clock again: a retry may have become due. A system clock
  // needs none (workers look at least once a second); a manual clock calls it after moving.
  void wake() { cv_.notify_all(); }

  HookPipelineSnapshot snapshot();
  // Configuration reload: hooks directory, post-rotate command and timeout for stages
  // started from now on.
  void update_stages(const StageContext& stages);

 private:
  // One stage run of one file, as the worker took it from the queue.
  struct StageRun {
    FileRecord file;
    std::string stage;
    std::string path;
    unsigned attempt = 1;
  };
  void worker();
  // Under the lock, after a stage ran: moves its job on, schedules a retry or fails it.
  // `outcome` is nullopt for a stage that could not run (its executable was removed): the
  // file moves on to its next stage.
  void record_outcome(const StageRun& run, const HookOutcome& outcome);
  void record_not_runnable(const StageRun& run, const std::string& why);
  void record_failure(const StageRun& run, const HookOutcome& outcome);
  bool runnable(const HookJob& job, NanoTime now) const;
  void persist_locked();
  void drop_unsafe_jobs();             // load(): entries whose names cannot be trusted
  void retry_times_from_wall_clock();  // load(): clamped, then monotonic
  NanoTime backoff(unsigned attempt) const;
  std::string path_of(const HookJob& job) const { return options_.ring_dir + "/" + job.file.file; }

  HookPipelineOptions options_;
  const Clock& clock_;
  std::mutex mutex_;
  std::condition_variable cv_;
  HookQueueState state_;
  std::set<std::uint64_t> running_;
  bool draining_ = false;
  NanoTime drain_until_ = 0;
  bool stopping_ = false;
  bool rebuild_from_index_ = false;  // load() found the queue damaged; reconcile() rebuilds it
  std::atomic<bool> cancel_{false};
  std::vector<std::thread> workers_;
};

}  // namespace pcap_ring
