#include "flows/flow_index.h"

#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>

#include "flows/flow_index_format.h"
#include "flows/flow_query.h"

namespace pcap_ring {
namespace {

namespace fmt = flow_format;

bool fail(std::string* error, const std::string& what) {
  *error = "damaged flow index: " + what;
  return false;
}

// A key value as a number (big-endian), for the directory's order check: tens of thousands of
// keys per index, dozens of indexes per extraction.
template <std::size_t N>
std::pair<std::uint64_t, std::uint64_t> value_number(const std::uint8_t* v) {
  std::uint64_t high = 0;
  std::uint64_t low = 0;
  for (std::size_t i = 0; i < N; ++i) {
    if (N > 8 && i < N - 8) high = (high << 8) | v[i];
    else low = (low << 8) | v[i];
  }
  return {high, low};
}

// The position of the first value not above the one before it, or `count` when they rise.
template <std::size_t N>
std::uint32_t first_out_of_order(const std::uint8_t* values, std::uint32_t count) {
  for (std::uint32_t i = 1; i < count; ++i)
    if (value_number<N>(values + (i - 1) * N) >= value_number<N>(values + i * N)) return i;
  return count;
}

std::uint32_t first_out_of_order(FlowKeyKind kind, const std::uint8_t* values, std::uint32_t count) {
  switch (flow_key_value_size(kind)) {
    case 1: return first_out_of_order<1>(values, count);
    case 2: return first_out_of_order<2>(values, count);
    case 4: return first_out_of_order<4>(values, count);
    case 16: return first_out_of_order<16>(values, count);
  }
  return 0;
}

}  // namespace

bool FlowIndex::parse(const std::uint8_t* data, std::size_t size, FlowIndex* out, std::string* error) {
  if (size > 0) std::memcpy(out->buffer(size), data, size);
  return out->parse_buffer(size, error);
}

std::uint8_t* FlowIndex::buffer(std::size_t size) {
  if (bytes_.size() < size) bytes_.resize(size);
  return bytes_.data();
}

bool FlowIndex::parse_buffer(std::size_t size, std::string* error) {
  data_ = bytes_.data();
  size_ = std::min(size, bytes_.size());
  return parse_bytes(error);
}

void FlowIndex::clear() {
  linktype_ = -1;
  blocks_.clear();  // keeps its memory for the next file
  kinds_ = {};
  key_count_ = 0;
  postings_at_ = 0;
  postings_size_ = 0;
}

bool FlowIndex::parse_bytes(std::string* error) {
  clear();
  const std::uint8_t* data = data_;
  const std::size_t size = size_;
  if (size < fmt::kHeaderSize) return fail(error, "shorter than its header (" + std::to_string(size) + " bytes)");
  if (std::memcmp(data, fmt::kMagic, sizeof fmt::kMagic) != 0) return fail(error, "bad magic");
  if (fmt::get_le<std::uint64_t>(data + fmt::kHeaderHashAt) != XXH3_64bits(data, fmt::kHeaderHashAt)) {
    auto version = fmt::get_le<std::uint16_t>(data + fmt::kVersionAt);
    if (version != fmt::kVersion)  // an older layout has its checksum elsewhere
      return fail(error, "unsupported version " + std::to_string(version) + " (`packet-capture index --rebuild` rewrites it)");
    return fail(error, "header checksum mismatch");
  }
  auto version = fmt::get_le<std::uint16_t>(data + fmt::kVersionAt);
  if (version != fmt::kVersion) return fail(error, "unsupported version " + std::to_string(version));
  if (fmt::get_le<std::uint16_t>(data + fmt::kHeaderSizeAt) != fmt::kHeaderSize)
    return fail(error, "unexpected header size");
  auto body_size = fmt::get_le<std::uint64_t>(data + fmt::kBodySizeAt);
  if (body_size != size - fmt::kHeaderSize)
    return fail(error, "body of " + std::to_string(size - fmt::kHeaderSize) + " bytes, header says " +
                           std::to_string(body_size));
  const std::uint8_t* body = data + fmt::kHeaderSize;
  if (fmt::get_le<std::uint64_t>(data + fmt::kBodyHashAt) != XXH3_64bits(body, body_size))
    return fail(error, "body checksum mismatch");
  auto block_count = fmt::get_le<std::uint32_t>(data + fmt::kBlockCountAt);
  auto key_count = fmt::get_le<std::uint32_t>(data + fmt::kKeyCountAt);
  auto table_size = fmt::get_le<std::uint64_t>(data + fmt::kBlockTableSizeAt);
  if (table_size > body_size) return fail(error, "block table beyond the body");
  if (block_count > table_size / fmt::kMinBlockBytes) return fail(error, "block count beyond the block table's size");
  auto linktype = fmt::get_le<std::uint32_t>(data + fmt::kLinktypeAt);
  if (!parse_blocks(body, static_cast<std::size_t>(table_size), block_count, error) ||
      !parse_directory(body, body_size, static_cast<std::size_t>(table_size), key_count, error)) {
    clear();
    return false;
  }
  linktype_ = linktype == fmt::kNoLinktype || linktype > std::numeric_limits<int>::max() ? -1 : static_cast<int>(linktype);
  return true;
}

bool FlowIndex::parse_blocks(const std::uint8_t* table, std::size_t size, std::uint32_t count, std::string* error) {
  blocks_.reserve(count);
  std::size_t pos = 0;
  std::uint64_t previous_end = 0;
  NanoTime previous_first = 0;
  constexpr std::uint64_t kMaxOffset = std::numeric_limits<std::int64_t>::max();
  for (std::uint32_t i = 0; i < count; ++i) {
    std::uint64_t gap, length, records, first_delta, span;
    if (!fmt::get_varint(table, size, &pos, &gap) || !fmt::get_varint(table, size, &pos, &length) ||
        !fmt::get_varint(table, size, &pos, &records) || !fmt::get_varint(table, size, &pos, &first_delta) ||
        !fmt::get_varint(table, size, &pos, &span))
      return fail(error, "block " + std::to_string(i) + " cut short");
    if (gap > kMaxOffset - previous_end || length > kMaxOffset - previous_end - gap)
      return fail(error, "block " + std::to_string(i) + " beyond the largest file offset");
    if (records == 0 || records > length / fmt::kMinRecordBytes)
      return fail(error, "block " + std::to_string(i) + " has " + std::to_string(records) +
                             " records in " + std::to_string(length) + " bytes");
    FlowBlock block;
    block.offset = previous_end + gap;
    block.end = block.offset + length;
    block.records = static_cast<std::uint32_t>(records);
    block.first = static_cast<NanoTime>(static_cast<std::uint64_t>(previous_first) +
                                        static_cast<std::uint64_t>(fmt::unzigzag(first_delta)));
    block.last = static_cast<NanoTime>(static_cast<std::uint64_t>(block.first) + span);
    if (block.last < block.first) return fail(error, "block " + std::to_string(i) + " ends before it starts");
    blocks_.push_back(block);
    previous_end = block.end;
    previous_first = block.first;
  }
  if (pos != size) return fail(error, "bytes after the last block");
  return true;
}

bool FlowIndex::parse_directory(const std::uint8_t* body, std::size_t size, std::size_t at, std::uint32_t key_count,
                                std::string* error) {
  if (size - at < fmt::kDirectoryCountsSize) return fail(error, "key directory cut short");
  std::uint64_t total = 0;
  std::uint64_t directory_size = fmt::kDirectoryCountsSize;
  for (std::size_t k = 0; k < fmt::kKindCount; ++k) {
    kinds_[k].count = fmt::get_le<std::uint32_t>(body + at + 4 * k);
    total += kinds_[k].count;
    directory_size += std::uint64_t{kinds_[k].count} * (flow_key_value_size(static_cast<FlowKeyKind>(k + 1)) + 4);
  }
  if (total != key_count)
    return fail(error, "key counts add up to " + std::to_string(total) + ", header says " + std::to_string(key_count));
  if (directory_size > size - at) return fail(error, "key directory cut short");
  postings_at_ = fmt::kHeaderSize + at + static_cast<std::size_t>(directory_size);
  const std::uint64_t postings_size = size - at - directory_size;
  postings_size_ = static_cast<std::size_t>(postings_size);
  std::size_t pos = at + fmt::kDirectoryCountsSize;
  std::uint32_t previous_end = 0;
  std::uint64_t key = 0;
  for (std::size_t k = 0; k < fmt::kKindCount; ++k) {
    KindTable& table = kinds_[k];
    const std::size_t value_size = flow_key_value_size(static_cast<FlowKeyKind>(k + 1));
    table.values_at = fmt::kHeaderSize + pos;
    table.ends_at = table.values_at + table.count * value_size;
    table.postings_begin = previous_end;
    const std::uint8_t* values = body + pos;
    const std::uint8_t* ends = values + std::size_t{table.count} * value_size;
    const auto kind = static_cast<FlowKeyKind>(k + 1);
    if (std::uint32_t bad = first_out_of_order(kind, values, table.count); bad < table.count)
      return fail(error, "key " + std::to_string(key + bad) + " out of order");
    for (std::uint32_t i = 0; i < table.count; ++i, ++key) {
      if (kind == FlowKeyKind::kFlag && values[i] >= kFlowFlagCount)
        return fail(error, "key " + std::to_string(key) + " has an unknown flag");
      auto end = fmt::get_le<std::uint32_t>(ends + 4 * std::size_t{i});
      if (end <= previous_end || end > postings_size)
        return fail(error, "key " + std::to_string(key) + " has no postings or ends beyond them");
      previous_end = end;
    }
    pos += table.count * (value_size + 4);
  }
  if (previous_end != postings_size) return fail(error, "bytes after the last posting list");
  key_count_ = key_count;
  return true;
}

std::uint32_t FlowIndex::posting_end(const KindTable& table, std::uint32_t i) const {
  return fmt::get_le<std::uint32_t>(data_ + table.ends_at + 4 * std::size_t{i});
}

FlowIndex::Bits FlowIndex::all_bits() const {
  Bits bits((blocks_.size() + 63) / 64, ~std::uint64_t{0});
  if (blocks_.size() % 64 != 0 && !bits.empty()) bits.back() = (std::uint64_t{1} << (blocks_.size() % 64)) - 1;
  return bits;
}

void FlowIndex::add_key_range(const FlowKey& low, const FlowKey& high, Bits* bits) const {
  auto kind = static_cast<std::size_t>(low.kind);
  if (kind < 1 || kind > fmt::kKindCount) return;
  const KindTable& table = kinds_[kind - 1];
  const std::size_t value_size = flow_key_value_size(low.kind);
  const std::uint8_t* values = data_ + table.values_at;
  // Values are big-endian, so byte order is numeric order: binary search the directory.
  std::uint32_t first = 0;
  std::uint32_t count = table.count;
  while (count > 0) {
    std::uint32_t half = count / 2;
    if (std::memcmp(values + (first + half) * value_size, low.value.data(), value_size) < 0) {
      first += half + 1;
      count -= half + 1;
    } else {
      count = half;
    }
  }
  const std::uint8_t* postings = data_ + postings_at_;
  for (std::uint32_t i = first; i < table.count; ++i) {
    if (std::memcmp(values + i * value_size, high.value.data(), value_size) > 0) break;
    std::size_t pos = i == 0 ? table.postings_begin : posting_end(table, i - 1);
    const std::size_t end = posting_end(table, i);  // checked by parse_directory; checked again, cheaply
    if (end > postings_size_ || pos > end) {
      *bits = all_bits();
      return;
    }
    std::uint64_t block = 0;
    for (bool first_posting = true; pos < end; first_posting = false) {
      std::uint64_t gap = 0;
      bool read = fmt::get_varint(postings, end, &pos, &gap);
      block = first_posting ? gap : block + 1 + gap;
      if (!read || gap >= blocks_.size() || block >= blocks_.size()) {
        *bits = all_bits();  // a posting that names no block: this index cannot rule anything out
        return;
      }
      (*bits)[block / 64] |= std::uint64_t{1} << (block % 64);
    }
  }
}

void FlowIndex::add_flag(FlowFlag flag, Bits* bits) const {
  FlowKey key = FlowKey::flag(flag);
  add_key_range(key, key, bits);
}

std::vector<bool> FlowIndex::blocks_with_keys(const FlowKey& low, const FlowKey& high) const {
  Bits bits((blocks_.size() + 63) / 64, 0);
  add_key_range(low, high, &bits);
  std::vector<bool> result(blocks_.size());
  for (std::size_t i = 0; i < blocks_.size(); ++i) result[i] = (bits[i / 64] >> (i % 64)) & 1;
  return result;
}

// A leaf at tag shift k is read by BPF 4*k bytes further into the frame: on a record with fewer
// than k tags that is payload, which may look like anything, so such records' blocks are kept.
FlowIndex::Bits FlowIndex::evaluate(const FlowQuery& query, int node) const {
  const FlowQueryNode& n = query.nodes.at(static_cast<std::size_t>(node));
  Bits bits((blocks_.size() + 63) / 64, 0);
  switch (n.op) {
    case FlowQueryNode::Op::kAll:
    case FlowQueryNode::Op::kNot:  // sound without knowing that every record of a block matches
      return all_bits();
    case FlowQueryNode::Op::kAnd:
    case FlowQueryNode::Op::kOr: {
      Bits left = evaluate(query, n.left);
      Bits right = evaluate(query, n.right);
      for (std::size_t i = 0; i < bits.size(); ++i)
        bits[i] = n.op == FlowQueryNode::Op::kAnd ? left[i] & right[i] : left[i] | right[i];
      return bits;
    }
    case FlowQueryNode::Op::kKeys:
      if (n.tag_shift > kMaxTagDepthFlag) return all_bits();
      add_key_range(n.low, n.high, &bits);
      for (int depth = 0; depth < n.tag_shift; ++depth)
        add_flag(static_cast<FlowFlag>(static_cast<int>(FlowFlag::kTagDepth0) + depth), &bits);
      return bits;
    case FlowQueryNode::Op::kVlan:
      // A tag where BPF looks: any record whose tag depth differs from the shift may have one.
      if (n.tag_shift >= kMaxTagDepthFlag) return all_bits();
      for (int depth = 0; depth <= kMaxTagDepthFlag; ++depth)
        if (depth != n.tag_shift) add_flag(static_cast<FlowFlag>(static_cast<int>(FlowFlag::kTagDepth0) + depth), &bits);
      return bits;
  }
  return all_bits();
}

std::vector<bool> FlowIndex::candidates(const FlowQuery& query) const {
  Bits bits = query.root < 0 ? all_bits() : evaluate(query, query.root);
  add_flag(FlowFlag::kUnknown, &bits);  // records whose keys could not be read match anything
  std::vector<bool> result(blocks_.size());
  for (std::size_t i = 0; i < blocks_.size(); ++i) result[i] = (bits[i / 64] >> (i % 64)) & 1;
  return result;
}

}  // namespace pcap_ring
