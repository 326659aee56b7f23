#include "flows/flow_index.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "flows/flow_index_format.h"
#include "flows/flow_query.h"

namespace pcap_ring {
namespace {

namespace fmt = flow_format;

std::uint32_t crc32_of(const std::uint8_t* data, std::size_t size) {
  uLong crc = crc32(0L, Z_NULL, 0);
  while (size > 0) {
    auto piece = static_cast<uInt>(std::min<std::size_t>(size, 1u << 30));
    crc = crc32(crc, data, piece);
    data += piece;
    size -= piece;
  }
  return static_cast<std::uint32_t>(crc);
}

bool fail(std::string* error, const std::string& what) {
  *error = "damaged flow index: " + what;
  return false;
}

bool valid_key(const FlowKey& key) {
  if (flow_key_value_size(key.kind) == 0) return false;
  if (key.kind == FlowKeyKind::kFlag) return key.value[0] < kFlowFlagCount;
  return true;
}

}  // namespace

bool FlowIndex::parse(const std::uint8_t* data, std::size_t size, FlowIndex* out, std::string* error) {
  *out = FlowIndex{};
  if (size < fmt::kHeaderSize) return fail(error, "shorter than its header (" + std::to_string(size) + " bytes)");
  if (std::memcmp(data, fmt::kMagic, sizeof fmt::kMagic) != 0) return fail(error, "bad magic");
  if (fmt::get_le<std::uint32_t>(data + fmt::kHeaderCrcAt) != crc32_of(data, fmt::kHeaderCrcAt))
    return fail(error, "header checksum mismatch");
  auto version = fmt::get_le<std::uint16_t>(data + fmt::kVersionAt);
  if (version != fmt::kVersion) return fail(error, "unsupported version " + std::to_string(version));
  if (fmt::get_le<std::uint16_t>(data + fmt::kHeaderSizeAt) != fmt::kHeaderSize)
    return fail(error, "unexpected header size");
  auto body_size = fmt::get_le<std::uint64_t>(data + fmt::kBodySizeAt);
  if (body_size != size - fmt::kHeaderSize)
    return fail(error, "body of " + std::to_string(size - fmt::kHeaderSize) + " bytes, header says " +
                           std::to_string(body_size));
  const std::uint8_t* body = data + fmt::kHeaderSize;
  if (fmt::get_le<std::uint32_t>(data + fmt::kBodyCrcAt) != crc32_of(body, body_size))
    return fail(error, "body checksum mismatch");
  auto block_count = fmt::get_le<std::uint32_t>(data + fmt::kBlockCountAt);
  auto key_count = fmt::get_le<std::uint32_t>(data + fmt::kKeyCountAt);
  if (block_count > body_size / fmt::kMinBlockBytes || key_count > body_size / fmt::kMinKeyBytes)
    return fail(error, "counts beyond the body's size");
  auto linktype = fmt::get_le<std::uint32_t>(data + fmt::kLinktypeAt);
  out->linktype_ = linktype == fmt::kNoLinktype || linktype > std::numeric_limits<int>::max()
                       ? -1 : static_cast<int>(linktype);
  std::size_t pos = 0;
  if (!out->parse_blocks(body, body_size, &pos, block_count, error) ||
      !out->parse_keys(body, body_size, &pos, key_count, error)) {
    *out = FlowIndex{};
    return false;
  }
  if (pos != body_size) {
    *out = FlowIndex{};
    return fail(error, "bytes after the key table");
  }
  out->body_.assign(body, body + body_size);
  return true;
}

bool FlowIndex::parse_blocks(const std::uint8_t* body, std::size_t size, std::size_t* pos, std::uint32_t count,
                             std::string* error) {
  blocks_.reserve(count);
  std::uint64_t previous_end = 0;
  NanoTime previous_first = 0;
  constexpr std::uint64_t kMaxOffset = std::numeric_limits<std::int64_t>::max();
  for (std::uint32_t i = 0; i < count; ++i) {
    std::uint64_t gap, length, records, first_delta, span;
    if (!fmt::get_varint(body, size, pos, &gap) || !fmt::get_varint(body, size, pos, &length) ||
        !fmt::get_varint(body, size, pos, &records) || !fmt::get_varint(body, size, pos, &first_delta) ||
        !fmt::get_varint(body, size, pos, &span))
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
  return true;
}

bool FlowIndex::parse_keys(const std::uint8_t* body, std::size_t size, std::size_t* pos, std::uint32_t count,
                           std::string* error) {
  keys_.reserve(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    auto which = [i] { return "key " + std::to_string(i); };  // only for an error: keys are many
    if (*pos >= size) return fail(error, which() + " cut short");
    KeyEntry entry;
    entry.key.kind = static_cast<FlowKeyKind>(body[(*pos)++]);
    std::size_t value_size = flow_key_value_size(entry.key.kind);
    if (value_size == 0) return fail(error, which() + " of unknown kind");
    if (size - *pos < value_size) return fail(error, which() + " cut short");
    std::memcpy(entry.key.value.data(), body + *pos, value_size);
    *pos += value_size;
    if (!valid_key(entry.key)) return fail(error, which() + " has an unknown flag");
    if (!keys_.empty() && !(keys_.back().key < entry.key)) return fail(error, which() + " out of order");
    std::uint64_t postings;
    if (!fmt::get_varint(body, size, pos, &postings) || postings == 0 || postings > blocks_.size())
      return fail(error, which() + " has a bad block count");
    entry.posting_offset = *pos;
    entry.posting_count = static_cast<std::uint32_t>(postings);
    // Skipped here, decoded (and checked against the block table) when a query reads them:
    // the body's checksum already vouches for them, and a posting beyond the table then
    // makes the key match every block, which stays sound.
    std::uint64_t ends = 0;
    while (ends < postings && *pos < size) ends += (body[(*pos)++] & 0x80) == 0;
    if (ends < postings) return fail(error, which() + " cut short");
    keys_.push_back(entry);
  }
  return true;
}

FlowIndex::Bits FlowIndex::all_bits() const {
  Bits bits((blocks_.size() + 63) / 64, ~std::uint64_t{0});
  if (blocks_.size() % 64 != 0 && !bits.empty()) bits.back() = (std::uint64_t{1} << (blocks_.size() % 64)) - 1;
  return bits;
}

void FlowIndex::add_key_range(const FlowKey& low, const FlowKey& high, Bits* bits) const {
  auto by_key = [](const KeyEntry& e, const FlowKey& k) { return e.key < k; };
  auto it = std::lower_bound(keys_.begin(), keys_.end(), low, by_key);
  for (; it != keys_.end() && !(high < it->key); ++it) {
    std::size_t pos = it->posting_offset;
    std::uint64_t block = 0;
    for (std::uint32_t i = 0; i < it->posting_count; ++i) {
      std::uint64_t gap = 0;
      bool read = fmt::get_varint(body_.data(), body_.size(), &pos, &gap);
      block = i == 0 ? gap : block + 1 + gap;
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
