// Which byte ranges of one capture file an extraction reads: the whole file after its header,
// or, when the file has a flow index, only the blocks of records that overlap the window and
// may match the filter.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "extract/time_window.h"
#include "flows/flow_index.h"
#include "flows/flow_query.h"

namespace pcap_ring {

struct ByteRange {
  std::uint64_t begin = 0;
  std::uint64_t end = std::numeric_limits<std::uint64_t>::max();  // past the last record to read
};

struct FilePlan {
  std::vector<ByteRange> ranges;  // in file order; empty = nothing in this file can match
  bool indexed = false;           // made from the file's flow index
};

// The plan for the ring file `name` in the directory `dir_fd`: from its flow index
// ".<name>.flows" when `use_index` is set and the index is there and valid; otherwise the
// whole file from `header_bytes` on. `query` is the filter as a flow query, nullptr when the
// index cannot answer the filter (then only the blocks' times narrow the read). A damaged
// index adds a warning and the file is read whole. `scratch` holds the index while it is
// read: one per reader, reused file after file.
FilePlan plan_file(int dir_fd, const std::string& name, std::uint64_t header_bytes, const TimeWindow& window,
                   const FlowQuery* query, bool use_index, FlowIndex* scratch, std::vector<std::string>* warnings);

}  // namespace pcap_ring
