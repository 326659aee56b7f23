#include "retention.h"

namespace pcap_ring {

std::vector<std::uint64_t> select_for_deletion(const std::vector<FileRecord>& finished,
                                               const RetentionLimits& limits, bool live_file,
                                               std::uint64_t live_bytes) {
  std::uint64_t count = finished.size() + (live_file ? 1 : 0);
  std::uint64_t bytes = live_bytes;
  for (const auto& r : finished) bytes += r.bytes;

  std::vector<std::uint64_t> victims;
  for (const auto& r : finished) {
    bool over_count = count > limits.file_limit;
    bool over_bytes = limits.max_bytes != 0 && bytes > limits.max_bytes;
    if (!over_count && !over_bytes) break;
    victims.push_back(r.sequence);
    --count;
    bytes -= r.bytes;
  }
  return victims;
}

}  // namespace pcap_ring
