#include "extract/file_plan.h"

#include "flows/flow_index_file.h"
#include "flows/flow_query.h"

namespace pcap_ring {
namespace {

constexpr std::uint64_t kMergeGap = 64 * 1024;  // a few blocks: cheaper to read through than to seek past

}  // namespace

FilePlan plan_file(int dir_fd, const std::string& name, std::uint64_t header_bytes, const TimeWindow& window,
                   const FlowQuery* query, bool use_index, FlowIndex* scratch, std::vector<std::string>* warnings) {
  FilePlan whole;
  whole.ranges.push_back(ByteRange{header_bytes});
  if (!use_index) return whole;
  FlowIndex& index = *scratch;
  std::string error;
  switch (load_flow_index(dir_fd, name, &index, &error)) {
    case FlowIndexState::kMissing:
      return whole;
    case FlowIndexState::kDamaged:
      warnings->push_back(error + "; " + name + " is read whole");
      return whole;
    case FlowIndexState::kValid:
      break;
  }
  std::vector<bool> candidates = query ? index.candidates(*query) : std::vector<bool>(index.blocks().size(), true);
  FilePlan plan;
  plan.indexed = true;
  const auto& blocks = index.blocks();
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    if (!candidates[i] || blocks[i].records == 0 || !window.overlaps(blocks[i].first, blocks[i].last)) continue;
    // Blocks close together: one range. Reading the few records between them costs less
    // than a seek (every record read is still checked against the window and the filter).
    if (!plan.ranges.empty() && blocks[i].offset - plan.ranges.back().end <= kMergeGap)
      plan.ranges.back().end = blocks[i].end;
    else
      plan.ranges.push_back({blocks[i].offset, blocks[i].end});
  }
  // Records written after the index (none in a finished file; a file grown since): read too.
  if (!blocks.empty()) plan.ranges.push_back({blocks.back().end});
  return plan;
}

}  // namespace pcap_ring
