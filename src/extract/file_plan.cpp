#include "extract/file_plan.h"

namespace pcap_ring {

FilePlan plan_file(int dir_fd, const std::string& name, std::uint64_t header_bytes, const TimeWindow& window,
                   const std::string& filter, bool use_index, std::vector<std::string>* warnings) {
  (void)dir_fd, (void)name, (void)window, (void)filter, (void)use_index, (void)warnings;
  FilePlan plan;
  plan.ranges.push_back(ByteRange{header_bytes});
  return plan;
}

}  // namespace pcap_ring
