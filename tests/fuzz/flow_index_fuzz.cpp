// Fuzzes the flow index reader (an index file read from disk) and the builder (capture bytes
// from disk): the reader must refuse or accept without reading outside the bytes, and what
// it accepts must be consistent; the builder must give the same index however the bytes are
// split, and that index must parse.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "flows/flow_index.h"
#include "flows/flow_index_builder.h"
#include "flows/flow_query.h"
#include "fuzz_support.h"

namespace {

void check_index(const pcap_ring::FlowIndex& index) {
  std::uint64_t previous_end = 0;
  for (const pcap_ring::FlowBlock& block : index.blocks()) {
    FUZZ_CHECK(block.offset >= previous_end);
    FUZZ_CHECK(block.end > block.offset);
    FUZZ_CHECK(block.records > 0);
    FUZZ_CHECK(block.first <= block.last);
    previous_end = block.end;
  }
  static const auto query = pcap_ring::parse_flow_query("host 10.0.0.1 or vlan and net 10.0.0.0/8 or not tcp port 80");
  FUZZ_CHECK(query.has_value());
  FUZZ_CHECK(index.candidates(*query).size() == index.blocks().size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  pcap_ring::FlowIndex index;
  std::string error;
  if (pcap_ring::FlowIndex::parse(data, size, &index, &error)) check_index(index);
  else FUZZ_CHECK(!error.empty() && index.blocks().empty());

  pcap_ring::FlowIndexBuilder whole;
  whole.feed(data, size);
  pcap_ring::FlowIndexBuilder split;
  std::size_t piece = size == 0 ? 1 : data[0] % 13 + 1;
  for (std::size_t at = 0; at < size; at += piece) split.feed(data + at, std::min(piece, size - at));
  FUZZ_CHECK(whole.failed() == split.failed());
  if (whole.failed()) return 0;
  std::vector<std::uint8_t> built = whole.finish();
  FUZZ_CHECK(built == split.finish());
  pcap_ring::FlowIndex reread;
  FUZZ_CHECK(pcap_ring::FlowIndex::parse(built.data(), built.size(), &reread, &error));
  FUZZ_CHECK(reread.blocks().size() <= size / 12 + 1);
  check_index(reread);
  return 0;
}
