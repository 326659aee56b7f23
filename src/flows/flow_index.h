// A capture file's flow index, read back: the blocks of records with their offsets and times,
// and for each key (host, port, IP protocol, flag) the blocks holding a record with it. Input
// from disk is never trusted: parsing checks the checksums, every count, every offset and the
// order of the key directory before anything is used; a posting list is checked when a query
// decodes it.
#pragma once

#include <array>
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
  // Parses a copy of `data`. On failure the index is empty and *error says why.
  [[nodiscard]] static bool parse(const std::uint8_t* data, std::size_t size, FlowIndex* out,
                                  std::string* error);
  // Room for an index file of `size` bytes, for a loader to read into before parse_buffer().
  // One FlowIndex reused for many files reuses this memory (an extraction reads dozens). The
  // index keeps its own copy of the bytes: a file changed after it was checked cannot change
  // what queries read.
  std::uint8_t* buffer(std::size_t size);
  // Parses the first `size` bytes of buffer().
  [[nodiscard]] bool parse_buffer(std::size_t size, std::string* error);

  const std::vector<FlowBlock>& blocks() const { return blocks_; }
  // Link type of the indexed file (of its first pcapng interface), -1 when it had none.
  int linktype() const { return linktype_; }
  std::size_t key_count() const { return key_count_; }

  // Blocks that may hold a packet matching `query`; every other block certainly holds none.
  std::vector<bool> candidates(const FlowQuery& query) const;

  // Blocks holding a record with a key in [low, high] (both of the same kind).
  std::vector<bool> blocks_with_keys(const FlowKey& low, const FlowKey& high) const;

 private:
  using Bits = std::vector<std::uint64_t>;
  // One kind's part of the key directory, searched where it lies in data_: `count` sorted
  // values, then `count` u32 ends of their posting lists (relative to postings_at_). The
  // first list begins at `postings_begin`.
  struct KindTable {
    std::size_t values_at = 0;
    std::size_t ends_at = 0;
    std::uint32_t count = 0;
    std::uint32_t postings_begin = 0;
  };
  void clear();
  bool parse_bytes(std::string* error);
  bool parse_blocks(const std::uint8_t* table, std::size_t size, std::uint32_t count, std::string* error);
  bool parse_directory(const std::uint8_t* body, std::size_t size, std::size_t at, std::uint32_t key_count,
                       std::string* error);
  std::uint32_t posting_end(const KindTable& table, std::uint32_t i) const;
  void add_key_range(const FlowKey& low, const FlowKey& high, Bits* bits) const;
  void add_flag(FlowFlag flag, Bits* bits) const;
  Bits evaluate(const FlowQuery& query, int node) const;
  Bits all_bits() const;

  int linktype_ = -1;
  std::vector<FlowBlock> blocks_;
  std::array<KindTable, 5> kinds_{};
  std::size_t key_count_ = 0;
  std::size_t postings_at_ = 0;  // in data_
  std::size_t postings_size_ = 0;
  // The index's bytes: the first size_ of bytes_, which only grows.
  std::vector<std::uint8_t> bytes_;
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace pcap_ring
