#include "ring/retention.h"

namespace pcap_ring {

std::vector<Deletion> select_for_deletion(const std::vector<FileRecord>& finished,
                                          const RetentionLimits& limits, std::uint64_t unfinished,
                                          std::uint64_t unfinished_bytes,
                                          const std::function<HookState(std::uint64_t)>& hook_state) {
  auto state = [&](std::uint64_t seq) { return hook_state ? hook_state(seq) : HookState::kIdle; };
  std::uint64_t count = finished.size() + unfinished;
  std::uint64_t bytes = unfinished_bytes;
  for (const auto& r : finished) bytes += r.disk_bytes();
  std::vector<bool> deleted(finished.size(), false);
  std::vector<Deletion> out;

  auto over_limits = [&] { return count > limits.file_limit || (limits.max_bytes != 0 && bytes > limits.max_bytes); };
  // First the files no hook needs any more, oldest first.
  for (std::size_t i = 0; i < finished.size() && over_limits(); ++i) {
    if (state(finished[i].sequence) != HookState::kIdle) continue;
    deleted[i] = true;
    out.push_back({finished[i].sequence, false});
    --count;
    bytes -= finished[i].disk_bytes();
  }
  // Then, only past the hard budget, the oldest files still waiting for hooks. A file a
  // hook is reading is never deleted.
  std::uint64_t hard = limits.max_bytes ? limits.max_bytes : limits.backlog_bytes;
  auto over_hard = [&] { return hard == 0 ? over_limits() : bytes > hard; };
  for (std::size_t i = 0; i < finished.size() && over_hard(); ++i) {
    if (deleted[i] || state(finished[i].sequence) != HookState::kWaiting) continue;
    deleted[i] = true;
    out.push_back({finished[i].sequence, true});
    --count;
    bytes -= finished[i].disk_bytes();
  }
  return out;
}

}  // namespace pcap_ring
