// A capture file's flow index, read back: the blocks of records with their offsets and times,
// and for each key (host, port, IP protocol, flag) the blocks holding a record with it. Input
// from disk is never trusted: parse() checks the checksums, every count, every offset and the
// order of every list before anything is used.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/timestamp.h"
#include "flows/flow_key.h"

namespace pcap_ring {

struct FlowQuery;

// Consecutive packet records of a capture file. The range [offset, end) holds only these
// records (no other pcapng block), so a reader may seek to `offset` and read to `end`.
// first/last: the earliest and latest record time (the lowest and highest NanoTime when a
// record has no time, a pcapng simple packet block: the block then covers every window).
struct FlowBlock {
  std::uint64_t offset = 0;
  std::uint64_t end = 0;
  NanoTime first = 0;
  NanoTime last = 0;
  std::uint32_t records = 0;
};

class FlowIndex {
 public:
  [[nodiscard]] static bool parse(const std::uint8_t* data, std::size_t size, FlowIndex* out,
                                  std::string* error);

  const std::vector<FlowBlock>& blocks() const { return blocks_; }
  // Link type of the indexed file (of its first pcapng interface), -1 when it had none.
  int linktype() const { return linktype_; }
  std::size_t key_count() const { return keys_.size(); }

  // Blocks that may hold a packet matching `query`; every other block certainly holds none.
  std::vector<bool> candidates(const FlowQuery& query) const;

  // Blocks holding a record with a key in [low, high] (both of the same kind).
  std::vector<bool> blocks_with_keys(const FlowKey& low, const FlowKey& high) const;

 private:
  using Bits = std::vector<std::uint64_t>;
  // A key's posting list stays encoded in body_ until a query asks for it: a needle query
  // over a ring reads one or two keys of each index, which has thousands.
  struct KeyEntry {
    FlowKey key;
    std::size_t posting_offset = 0;  // in body_
    std::uint32_t posting_count = 0;
  };
  bool parse_blocks(const std::uint8_t* body, std::size_t size, std::size_t* pos, std::uint32_t count,
                    std::string* error);
  bool parse_keys(const std::uint8_t* body, std::size_t size, std::size_t* pos, std::uint32_t count,
                  std::string* error);
  void add_key_range(const FlowKey& low, const FlowKey& high, Bits* bits) const;
  void add_flag(FlowFlag flag, Bits* bits) const;
  Bits evaluate(const FlowQuery& query, int node) const;
  Bits all_bits() const;

  int linktype_ = -1;
  std::vector<FlowBlock> blocks_;
  std::vector<KeyEntry> keys_;  // sorted by key
  std::vector<std::uint8_t> body_;
};

}  // namespace pcap_ring
