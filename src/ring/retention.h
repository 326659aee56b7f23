// Which finished files the ring deletes, oldest first, to stay within its file count and
// byte budget, with files still waiting for post-rotate hooks kept while there is room.
// A pure function so the policy is tested apart from the file system.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "ring/ring_index.h"

namespace pcap_ring {

struct RetentionLimits {
  std::uint64_t file_limit = 10;  // ring files in all, the one being written included
  std::uint64_t max_bytes = 0;    // 0 = no byte budget
  // Hard budget while files wait for hooks: past it the oldest waiting file is evicted.
  // 0 = waiting files are never kept beyond the limits above.
  std::uint64_t backlog_bytes = 0;
  // Free space to leave on the file system, beyond the file being written (0 = none).
  // Enforced by the ring, which alone can ask the file system.
  std::uint64_t min_free_bytes = 0;
};

// Where a finished file stands with the hook pipeline.
enum class HookState {
  kIdle,     // no stage pending: free to delete
  kWaiting,  // stages pending or retrying: kept while within the backlog budget
  kRunning,  // a hook has it open now: never deleted
};

// The pipeline's answer when the ring is about to delete a file, given atomically with
// respect to hooks starting on it.
enum class HookClaim {
  kRefused,     // a hook is running on it: keep it
  kNoJob,       // no stage pending: delete
  kEvictedJob,  // stages were pending; they are dropped: delete, counted as evicted
};

struct Deletion {
  std::uint64_t sequence;
  bool evicted_waiting;  // it still had hook stages pending
};

// `finished` is ordered oldest first. `unfinished` files of `unfinished_bytes` in all also
// need room: the file being (or about to be) written, counted at its size limit, the next
// one when room is made ahead, and files written but not yet published.
std::vector<Deletion> select_for_deletion(const std::vector<FileRecord>& finished,
                                          const RetentionLimits& limits, std::uint64_t unfinished,
                                          std::uint64_t unfinished_bytes,
                                          const std::function<HookState(std::uint64_t)>& hook_state = {});

}  // namespace pcap_ring
