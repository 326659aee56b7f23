#include "hooks/hook_pipeline.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <optional>

#include "common/exit_codes.h"
#include "common/log.h"
#include "common/unique_fd.h"
#include "hooks/damaged_queue.h"
#include "hooks/hook_trust.h"

namespace pcap_ring {

HookPipeline::HookPipeline(HookPipelineOptions options, const Clock& clock)
    : options_(std::move(options)), clock_(clock) {}

HookPipeline::~HookPipeline() { stop(0); }

void HookPipeline::load() {
  try {
    auto loaded = load_hook_queue(options_.state_path);
    if (loaded) {
      state_ = std::move(*loaded);
      drop_unsafe_jobs();
      retry_times_from_wall_clock();
      if (!state_.jobs.empty())
        log::notice("hook queue: " + std::to_string(state_.jobs.size()) + " files still have stages to run");
    }
  } catch (const std::exception& e) {
    std::string why;
    std::string aside = set_aside_damaged_queue(options_.state_path, &why);
    log::error(std::string(e.what()) + "; " + (aside.empty() ? "cannot set it aside: " + why : "kept as " + aside) +
               "; the pending work is rebuilt from the ring index");
    rebuild_from_index_ = true;
  }
}

void HookPipeline::drop_unsafe_jobs() {
  // The queue file lives in the ring directory: its names become paths and programs to run,
  // so each must be a name the daemon itself could have written there.
  std::erase_if(state_.jobs, [&](const HookJob& job) {
    const std::string& name = job.file.file;
    std::string why;
    if (name.empty() || name.front() == '.' || name.find('/') != std::string::npos)
      why = "file name '" + name + "' is not a ring file name";
    for (const auto& stage : job.stages)
      if (why.empty() && !is_run_parts_name(stage))
        why = "stage name '" + stage + "' is not a hooks.d name (only letters, digits, '_' and '-')";
    if (!why.empty()) {
      log::error("hook queue " + options_.state_path + ": " + why + "; this entry fails and no hook runs for it");
      ++state_.stats.stages_failed;
    }
    return !why.empty();
  });
}

void HookPipeline::retry_times_from_wall_clock() {
  // The file holds wall-clock retry times; in memory they are monotonic, so a clock step
  // cannot move them. A time further ahead than the longest backoff (a clock that was set
  // back, or a planted entry) is due one longest backoff from now.
  NanoTime wall = clock_.now();
  NanoTime mono = clock_.monotonic();
  for (auto& job : state_.jobs) {
    if (job.not_before == 0) continue;
    NanoTime delay = std::clamp<NanoTime>(job.not_before - wall, 0, options_.backoff_max);
    job.not_before = mono + delay;
  }
}

void HookPipeline::reconcile(const std::vector<FileRecord>& finished) {
  std::lock_guard lock(mutex_);
  std::erase_if(state_.jobs, [&](const HookJob& job) {
    bool gone = ::access(path_of(job).c_str(), F_OK) != 0;
    if (gone) log::warning("hook queue: " + job.file.file + " is gone; its remaining stages are dropped");
    return gone;
  });
  if (rebuild_from_index_) {
    // The queue was damaged: what was done is unknown, so every finished file is queued again
    // (a stage that already ran for it runs again, as after an interrupted stage).
    state_.last_enqueued.reset();
    for (const auto& r : finished) {
      if (std::any_of(state_.jobs.begin(), state_.jobs.end(),
                      [&](const HookJob& job) { return job.file.sequence == r.sequence; }))
        continue;
      HookJob job;
      job.file = r;
      state_.jobs.push_back(job);
      state_.last_enqueued = std::max(state_.last_enqueued.value_or(0), r.sequence);
    }
    rebuild_from_index_ = false;
    log::notice("hook queue: rebuilt from the ring index: " + std::to_string(state_.jobs.size()) +
                " finished files queued again");
  } else if (!state_.last_enqueued) {
    // A ring without a queue yet: files from before are not handed to hooks again.
    if (!finished.empty()) state_.last_enqueued = finished.back().sequence;
    for (const auto& job : state_.jobs)
      state_.last_enqueued = std::max(*state_.last_enqueued, job.file.sequence);
  } else {
    for (const auto& r : finished) {
      if (r.sequence <= *state_.last_enqueued) continue;
      HookJob job;
      job.file = r;
      state_.jobs.push_back(job);
      state_.last_enqueued = r.sequence;
      log::notice("hook queue: " + r.file + " was finished but not queued; queued now");
    }
  }
  persist_locked();
}

void HookPipeline::enqueue(const FileRecord& file) {
  {
    std::lock_guard lock(mutex_);
    HookJob job;
    job.file = file;
    state_.jobs.push_back(job);
    if (!state_.last_enqueued || file.sequence > *state_.last_enqueued) state_.last_enqueued = file.sequence;
    persist_locked();
  }
  cv_.notify_all();
}

HookState HookPipeline::state_of(std::uint64_t sequence) {
  std::lock_guard lock(mutex_);
  if (running_.count(sequence)) return HookState::kRunning;
  for (const auto& job : state_.jobs)
    if (job.file.sequence == sequence) return HookState::kWaiting;
  return HookState::kIdle;
}

HookClaim HookPipeline::claim_for_deletion(std::uint64_t sequence) {
  std::lock_guard lock(mutex_);
  if (running_.count(sequence)) return HookClaim::kRefused;
  auto before = state_.jobs.size();
  std::erase_if(state_.jobs, [&](const HookJob& j) { return j.file.sequence == sequence; });
  if (state_.jobs.size() == before) return HookClaim::kNoJob;
  ++state_.stats.files_evicted;
  persist_locked();
  return HookClaim::kEvictedJob;
}

void HookPipeline::start() {
  for (unsigned i = 0; i < std::max(1u, options_.jobs); ++i)
    workers_.emplace_back([this] {
      // A worker must not take the daemon down: an unexpected error ends this worker only.
      try {
        worker();
      } catch (const std::exception& e) {
        log::error(std::string("hook worker stopped: ") + e.what());
      }
    });
}

void HookPipeline::stop(NanoTime drain_until) {
  {
    std::lock_guard lock(mutex_);
    if (workers_.empty()) return;
    draining_ = true;
    drain_until_ = drain_until;
  }
  cv_.notify_all();
  // Wait for the drain; past its deadline, running hooks are cancelled. Workers signal every
  // finished stage; the timeout only rereads the clock.
  {
    std::unique_lock lock(mutex_);
    for (;;) {
      NanoTime now = clock_.monotonic();
      // Retries due before the deadline are waited for too.
      bool idle = running_.empty() &&
                  std::none_of(state_.jobs.begin(), state_.jobs.end(),
                               [&](const HookJob& j) { return j.not_before <= drain_until_; });
      if (idle || now >= drain_until_) break;
      cv_.wait_for(lock, std::chrono::milliseconds(50));
    }
  }
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    if (!running_.empty())
      log::warning("stopping with " + std::to_string(running_.size()) +
                   " hooks still running: they are ended and run again at the next start");
  }
  cancel_ = true;
  cv_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
}

bool HookPipeline::runnable(const HookJob& job, NanoTime now) const {
  return !running_.count(job.file.sequence) && job.not_before <= now;
}

NanoTime HookPipeline::backoff(unsigned attempt) const {
  NanoTime delay = options_.backoff_initial;
  for (unsigned i = 2; i < attempt && delay < options_.backoff_max; ++i) delay *= 2;
  return std::min(delay, options_.backoff_max);
}

void HookPipeline::worker() {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (stopping_) return;
    NanoTime now = clock_.monotonic();
    // Files go through the pipeline in order: only the oldest `jobs` files are in flight, so
    // a file waiting for a retry holds back the ones after it (a mirror such as CloudShark's
    // ring sees files in sequence).
    auto window_end = state_.jobs.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(state_.jobs.size(), std::max(1u, options_.jobs)));
    auto it = std::find_if(state_.jobs.begin(), window_end, [&](const HookJob& j) { return runnable(j, now); });
    if (it == window_end) it = state_.jobs.end();
    if (it == state_.jobs.end() || (draining_ && clock_.monotonic() >= drain_until_)) {
      // Sleep until the earliest retry is due or new work arrives.
      NanoTime next = 0;
      for (const auto& j : state_.jobs)
        if (!running_.count(j.file.sequence) && (next == 0 || j.not_before < next)) next = j.not_before;
      auto wait = next ? std::chrono::nanoseconds(std::max<NanoTime>(next - now, 1'000'000))
                       : std::chrono::nanoseconds(kNanosPerSecond);
      cv_.wait_for(lock, std::min(wait, std::chrono::nanoseconds(kNanosPerSecond)));
      continue;
    }
    HookJob& job = *it;
    if (!job.stages_resolved) {
      // The stage list is saved before any stage runs, so a restart resumes the same list.
      job.stages = resolve_stages(options_.stages.hooks_dir, options_.stages.post_rotate);
      job.stages_resolved = true;
      persist_locked();
    }
    if (job.next_stage >= job.stages.size()) {
      ++state_.stats.files_done;
      state_.jobs.erase(it);
      persist_locked();
      continue;
    }
    StageRun run{job.file, job.stages[job.next_stage], path_of(job), job.attempt};
    running_.insert(run.file.sequence);  // not saved: after a crash, a running stage simply runs again
    StageContext stages = options_.stages;
    lock.unlock();

    HookInvocation inv;
    std::string why;
    bool runnable_stage = build_invocation(stages, run.stage, run.path, run.file, run.attempt, &inv, &why);
    HookOutcome outcome;
    if (runnable_stage) outcome = run_hook(inv, &cancel_);

    lock.lock();
    running_.erase(run.file.sequence);
    cv_.notify_all();  // a stop() waiting for the drain looks again
    if (runnable_stage)
      record_outcome(run, outcome);
    else
      record_not_runnable(run, why);
  }
}

// A stage that cannot run (gone from hooks.d, no longer trusted, the file replaced) fails the
// file: running its later stages without it could hand on what it was meant to check.
void HookPipeline::record_not_runnable(const StageRun& run, const std::string& why) {
  auto job = std::find_if(state_.jobs.begin(), state_.jobs.end(),
                          [&](const HookJob& j) { return j.file.sequence == run.file.sequence; });
  if (job == state_.jobs.end()) return;  // evicted meanwhile
  ++state_.stats.stages_failed;
  log::error("hook " + run.stage + " cannot run for " + run.file.file + ": " + why + "; later stages skipped for this file",
             {{"HOOK", run.stage}, {"PCAP_FILE", run.path}});
  state_.recent_failures.push_back({run.file.file, run.stage, "not run: " + why, "", clock_.now()});
  while (state_.recent_failures.size() > HookQueueState::kRecentFailures) state_.recent_failures.pop_front();
  state_.jobs.erase(job);
  persist_locked();
}

void HookPipeline::record_outcome(const StageRun& run, const HookOutcome& outcome_value) {
  const HookOutcome* outcome = &outcome_value;
  auto job = std::find_if(state_.jobs.begin(), state_.jobs.end(),
                          [&](const HookJob& j) { return j.file.sequence == run.file.sequence; });
  if (job == state_.jobs.end()) return;  // evicted meanwhile
  if (outcome->cancelled) {
    return;  // shutdown: the stage did not finish; it runs again at the next start
  } else if (outcome->succeeded()) {
    ++state_.stats.stages_succeeded;
    ++job->next_stage;
    job->attempt = 1;
  } else if (outcome->started && outcome->exit_code == kExitTempFail && !outcome->timed_out) {
    ++state_.stats.stages_retried;
    NanoTime delay = backoff(run.attempt + 1);
    job->attempt = run.attempt + 1;
    job->not_before = clock_.monotonic() + delay;
    log::warning("hook " + run.stage + " asks to retry " + run.file.file + " (exit 75, attempt " +
                 std::to_string(run.attempt) + "); next try in " + std::to_string(delay / kNanosPerSecond) + " s");
  } else {
    record_failure(run, *outcome);
    state_.jobs.erase(job);
    persist_locked();
    return;
  }
  if (job->next_stage >= job->stages.size()) {
    ++state_.stats.files_done;
    state_.jobs.erase(job);
  }
  persist_locked();
  cv_.notify_all();
}

void HookPipeline::record_failure(const StageRun& run, const HookOutcome& outcome) {
  ++state_.stats.stages_failed;
  if (outcome.timed_out) ++state_.stats.stages_timed_out;
  std::string tail = outcome.stderr_tail;
  while (!tail.empty() && tail.back() == '\n') tail.pop_back();
  for (auto& c : tail)
    if (c == '\n') c = '|';
  log::error("hook " + run.stage + " failed for " + run.file.file + ": " + outcome.describe() +
                 (tail.empty() ? "" : "; stderr: " + tail) + "; later stages skipped for this file",
             {{"HOOK", run.stage}, {"PCAP_FILE", run.path}});
  state_.recent_failures.push_back({run.file.file, run.stage, outcome.describe(), outcome.stderr_tail, clock_.now()});
  while (state_.recent_failures.size() > HookQueueState::kRecentFailures) state_.recent_failures.pop_front();
}

void HookPipeline::persist_locked() {
  // Retry times are monotonic in memory and wall clock in the file (read back by
  // retry_times_from_wall_clock).
  HookQueueState saved = state_;
  NanoTime wall = clock_.now();
  NanoTime mono = clock_.monotonic();
  for (auto& job : saved.jobs)
    if (job.not_before != 0) job.not_before = wall + (job.not_before - mono);
  if (int err = save_hook_queue(options_.state_path, saved); err != 0)
    log::warning("cannot save the hook queue " + options_.state_path + ": " + errno_text(err));
}

void HookPipeline::update_stages(const StageContext& stages) {
  std::lock_guard lock(mutex_);
  options_.stages = stages;
}

HookPipelineSnapshot HookPipeline::snapshot() {
  std::lock_guard lock(mutex_);
  return {state_.jobs.size(), running_.size(), state_.stats, state_.recent_failures};
}

}  // namespace pcap_ring
