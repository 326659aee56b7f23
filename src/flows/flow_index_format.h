// The byte layout of a serialized flow index (docs/flow-index.md describes it in full): a
// fixed header, the block table (LEB128 varints), a key directory of fixed-width sorted
// arrays that a query binary-searches in place, and the posting lists. Shared by the writer
// (FlowIndexBuilder) and the reader (FlowIndex) so they cannot disagree.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace pcap_ring::flow_format {

inline constexpr char kMagic[8] = {'P', 'C', 'F', 'L', 'O', 'W', 'I', 'X'};
inline constexpr std::uint16_t kVersion = 2;
inline constexpr std::size_t kHeaderSize = 56;
// Header fields: magic[8], u16 version, u16 header size, u32 link type, u32 block count,
// u32 key count, u64 body size, u64 block table size, u64 XXH3-64 of the body, u64 XXH3-64 of
// the header's first 48 bytes.
inline constexpr std::size_t kVersionAt = 8;
inline constexpr std::size_t kHeaderSizeAt = 10;
inline constexpr std::size_t kLinktypeAt = 12;
inline constexpr std::size_t kBlockCountAt = 16;
inline constexpr std::size_t kKeyCountAt = 20;
inline constexpr std::size_t kBodySizeAt = 24;
inline constexpr std::size_t kBlockTableSizeAt = 32;
inline constexpr std::size_t kBodyHashAt = 40;
inline constexpr std::size_t kHeaderHashAt = 48;
inline constexpr std::uint32_t kNoLinktype = 0xffffffff;
// The key directory starts with one u32 count per key kind, kinds 1..5 in order.
inline constexpr std::size_t kKindCount = 5;
inline constexpr std::size_t kDirectoryCountsSize = 4 * kKindCount;
// Smallest encoding of a block, to refuse counts the body cannot hold before allocating.
inline constexpr std::size_t kMinBlockBytes = 5;
// A record takes at least 12 bytes of a capture file (a pcapng block; a pcap record 16).
inline constexpr std::uint64_t kMinRecordBytes = 12;

inline void put_varint(std::vector<std::uint8_t>* out, std::uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<std::uint8_t>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<std::uint8_t>(v));
}

// Reads a varint at *pos (at most 10 bytes, no bits beyond 64); false when malformed.
inline bool get_varint(const std::uint8_t* data, std::size_t size, std::size_t* pos, std::uint64_t* v) {
  std::uint64_t result = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*pos >= size) return false;
    std::uint8_t byte = data[(*pos)++];
    if (shift == 63 && byte > 1) return false;
    result |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if (!(byte & 0x80)) {
      *v = result;
      return true;
    }
  }
  return false;
}

inline std::uint64_t zigzag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}
inline std::int64_t unzigzag(std::uint64_t v) {
  return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

template <typename T>
void put_le(std::uint8_t* at, T v) {
  for (std::size_t i = 0; i < sizeof(T); ++i) at[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
template <typename T>
T get_le(const std::uint8_t* at) {
  T v = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) v = static_cast<T>(v | (static_cast<T>(at[i]) << (8 * i)));
  return v;
}

}  // namespace pcap_ring::flow_format
