// The durable hook queue: which finished files still have stages to run, how far each got,
// and the pipeline's counters. Kept in the ring directory as ".<prefix>-<iface>.hooks" (JSON,
// rewritten atomically after every change), so a restart resumes every file after its last
// successful stage and never runs a stage that succeeded again.
#pragma once

#include <cstdint>
#include <deque>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ring/ring_index.h"
#include "ring/ring_names.h"
#include "common/timestamp.h"

namespace pcap_ring {

struct HookJob {
  FileRecord file;
  std::vector<std::string> stages;  // taken when the file starts its pipeline
  bool stages_resolved = false;
  std::size_t next_stage = 0;
  unsigned attempt = 1;    // of next_stage
  NanoTime not_before = 0;  // retry backoff: wall clock in the file, monotonic in HookPipeline
};

struct HookFailure {
  std::string file;
  std::string stage;
  std::string outcome;  // "exit 3", "killed by KILL after its timeout"
  std::string stderr_tail;
  NanoTime when = 0;
};

// The pipeline's counters since the queue was created (they survive restarts).
struct HookStats {
  std::uint64_t stages_succeeded = 0;
  std::uint64_t stages_failed = 0;
  std::uint64_t stages_retried = 0;
  std::uint64_t stages_timed_out = 0;
  std::uint64_t files_done = 0;
  std::uint64_t files_evicted = 0;
};

struct HookQueueState {
  std::vector<HookJob> jobs;  // in pipeline order
  HookStats stats;
  std::deque<HookFailure> recent_failures;  // newest last, at most kRecentFailures
  std::optional<std::uint64_t> last_enqueued;  // highest sequence ever queued
  static constexpr std::size_t kRecentFailures = 10;
};

// JSON forms of the queue file (field names are the file format: keep them).
void to_json(nlohmann::ordered_json& j, const HookStats& stats);
void from_json(const nlohmann::json& j, HookStats& stats);  // missing counters are 0
void to_json(nlohmann::ordered_json& j, const HookFailure& failure);
void from_json(const nlohmann::json& j, HookFailure& failure);
void to_json(nlohmann::ordered_json& j, const HookJob& job);
void from_json(const nlohmann::json& j, HookJob& job);
void to_json(nlohmann::ordered_json& j, const HookQueueState& state);
void from_json(const nlohmann::json& j, HookQueueState& state);

// Reads the state; a missing file is nullopt (a ring that never had a hook queue).
// Throws std::runtime_error naming the file when it cannot be parsed.
std::optional<HookQueueState> load_hook_queue(const std::string& path);
// Atomic rewrite (temp file, fsync, rename). Returns 0 or errno.
[[nodiscard]] int save_hook_queue(const std::string& path, const HookQueueState& state);

}  // namespace pcap_ring
