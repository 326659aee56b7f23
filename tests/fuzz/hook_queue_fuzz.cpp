// Fuzzes the hook queue loader: any bytes either load or throw the std::runtime_error the
// loader documents; what loads must survive a save and a second load unchanged.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "fuzz_support.h"
#include "hooks/hook_queue.h"

namespace {

using pcap_ring::HookQueueState;

bool same_state(const HookQueueState& a, const HookQueueState& b) {
  if (a.jobs.size() != b.jobs.size() || a.recent_failures.size() != b.recent_failures.size() ||
      a.last_enqueued != b.last_enqueued)
    return false;
  const auto &s = a.stats, &t = b.stats;
  if (s.stages_succeeded != t.stages_succeeded || s.stages_failed != t.stages_failed ||
      s.stages_retried != t.stages_retried || s.stages_timed_out != t.stages_timed_out ||
      s.files_done != t.files_done || s.files_evicted != t.files_evicted)
    return false;
  for (std::size_t i = 0; i < a.jobs.size(); ++i) {
    const auto &x = a.jobs[i], &y = b.jobs[i];
    if (x.file.file != y.file.file || x.file.sequence != y.file.sequence || x.file.first != y.file.first ||
        x.file.last != y.file.last || x.file.packets != y.file.packets || x.file.bytes != y.file.bytes ||
        x.file.drops != y.file.drops || x.stages != y.stages || x.stages_resolved != y.stages_resolved ||
        x.next_stage != y.next_stage || x.attempt != y.attempt || x.not_before != y.not_before)
      return false;
  }
  for (std::size_t i = 0; i < a.recent_failures.size(); ++i) {
    const auto &x = a.recent_failures[i], &y = b.recent_failures[i];
    if (x.file != y.file || x.stage != y.stage || x.outcome != y.outcome || x.stderr_tail != y.stderr_tail ||
        x.when != y.when)
      return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& path = pcap_ring::fuzz::InputFile::instance().hold(data, size);
  std::optional<HookQueueState> state;
  try {
    state = pcap_ring::load_hook_queue(path);
  } catch (const std::runtime_error& e) {
    FUZZ_CHECK(std::string(e.what()).rfind(path, 0) == 0);  // names the file first
    return 0;
  }
  FUZZ_CHECK(state.has_value());  // the file exists, so "no queue" is not an answer

  const std::string saved = pcap_ring::fuzz::InputFile::instance().sibling(".pcap-fuzz.hooks");
  FUZZ_CHECK(pcap_ring::save_hook_queue(saved, *state) == 0);
  std::optional<HookQueueState> again = pcap_ring::load_hook_queue(saved);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(same_state(*state, *again));
  return 0;
}
