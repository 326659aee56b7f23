#include "flows/flow_index_builder.h"

#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <limits>
#include <utility>

#include "common/unique_fd.h"
#include "flows/flow_index_format.h"
#include "flows/packet_keys.h"

namespace pcap_ring {
namespace {

constexpr NanoTime kLowestTime = std::numeric_limits<NanoTime>::min();
constexpr NanoTime kHighestTime = std::numeric_limits<NanoTime>::max();

void put_blocks(const std::vector<FlowBlock>& blocks, std::vector<std::uint8_t>* out) {
  std::uint64_t previous_end = 0;
  NanoTime previous_first = 0;
  for (const FlowBlock& b : blocks) {
    flow_format::put_varint(out, b.offset - previous_end);
    flow_format::put_varint(out, b.end - b.offset);
    flow_format::put_varint(out, b.records);
    // Differences in wrapping arithmetic: exact for any pair of times, small for near ones.
    auto first_delta = static_cast<std::int64_t>(static_cast<std::uint64_t>(b.first) -
                                                 static_cast<std::uint64_t>(previous_first));
    flow_format::put_varint(out, flow_format::zigzag(first_delta));
    flow_format::put_varint(out, static_cast<std::uint64_t>(b.last) - static_cast<std::uint64_t>(b.first));
    previous_end = b.end;
    previous_first = b.first;
  }
}

}  // namespace

FlowIndexBuilder::FlowIndexBuilder() : FlowIndexBuilder(FlowIndexOptions{}) {}

FlowIndexBuilder::FlowIndexBuilder(FlowIndexOptions options) : options_(options) {
  if (options_.max_block_records == 0) options_.max_block_records = 1;
  if (options_.max_block_span < 0) options_.max_block_span = 0;
}

void FlowIndexBuilder::feed(const std::uint8_t* data, std::size_t size) {
  bytes_fed_ += size;
  stream_.feed(data, size, sink_);
}

[[gnu::always_inline]] inline bool FlowIndexBuilder::block_would_overflow(const CaptureRecord& record) const {
  if (open_block_.records >= options_.max_block_records) return true;
  if (!record.has_time) return false;
  NanoTime low = std::min(open_block_.first, record.time);
  NanoTime high = std::max(open_block_.last, record.time);
  return static_cast<std::uint64_t>(high) - static_cast<std::uint64_t>(low) >
         static_cast<std::uint64_t>(options_.max_block_span);
}

[[gnu::always_inline]] inline void FlowIndexBuilder::add_record(const CaptureRecord& record) {
  if (open_block_.records > 0 && block_would_overflow(record)) close_block();
  if (open_block_.records == 0) {
    open_block_.offset = record.offset;
    open_block_.first = record.has_time ? record.time : kLowestTime;
    open_block_.last = record.has_time ? record.time : kHighestTime;
  } else if (!record.has_time) {
    open_block_.first = kLowestTime;
    open_block_.last = kHighestTime;
  } else {
    open_block_.first = std::min(open_block_.first, record.time);
    open_block_.last = std::max(open_block_.last, record.time);
  }
  open_block_.end = record.end;
  ++open_block_.records;
  ++records_;
  add_keys(record);
}

[[gnu::always_inline]] inline bool FlowIndexBuilder::ipv4_key_bytes(const CaptureRecord& record, Ipv4KeyBytes* bytes) {
  constexpr std::uint32_t kPortsEnd = 14 + 20 + 4;
  const std::uint8_t* f = record.data;
  if (record.linktype != kLinktypeEthernet || record.caplen < kPortsEnd) return false;
  if (f[12] != 0x08 || f[13] != 0x00 || f[14] != 0x45) return false;  // IPv4, 20-byte header
  std::memcpy(&bytes->addresses, f + 26, 8);
  std::uint32_t ports;
  std::memcpy(&ports, f + 34, 4);
  const bool first_fragment = (((f[20] << 8) | f[21]) & 0x1fff) == 0;
  bytes->ports_protocol_fragment = (static_cast<std::uint64_t>(ports) << 32) | (static_cast<std::uint64_t>(f[23]) << 8) |
                                   (first_fragment ? 1u : 0u);
  return true;
}

[[gnu::always_inline]] inline void FlowIndexBuilder::add_keys(const CaptureRecord& record) {
  Ipv4KeyBytes key_bytes;
  const bool plain_ipv4 = ipv4_key_bytes(record, &key_bytes);
  if (plain_ipv4 && previous_is_plain_ipv4_ && key_bytes == previous_key_bytes_) [[likely]]
    return postings_.repeat_packet();
  parse_keys(record, plain_ipv4, key_bytes);
}

[[gnu::noinline]] void FlowIndexBuilder::parse_keys(const CaptureRecord& record, bool plain_ipv4, const Ipv4KeyBytes& key_bytes) {
  postings_.start_packet();
  PacketKeyReader<KeyPostings>(&postings_).frame(record.linktype, record.data, record.caplen);
  previous_is_plain_ipv4_ = plain_ipv4 && postings_.packet_recorded();
  previous_key_bytes_ = key_bytes;
}

void FlowIndexBuilder::RecordSink::on_record(const CaptureRecord& record) { builder_->add_record(record); }

[[gnu::noinline]] void FlowIndexBuilder::close_block() {
  if (open_block_.records == 0) return;
  blocks_.push_back(open_block_);
  open_block_ = FlowBlock{};
  postings_.set_block(static_cast<std::uint32_t>(blocks_.size()));
}

std::vector<std::uint8_t> FlowIndexBuilder::finish() {
  close_block();
  return serialize();
}

std::vector<std::uint8_t> FlowIndexBuilder::serialize() const {
  namespace fmt = flow_format;
  std::vector<std::pair<FlowKey, const std::vector<std::uint32_t>*>> keys = postings_.sorted();

  std::vector<std::uint8_t> postings;
  std::vector<std::uint32_t> posting_ends;
  posting_ends.reserve(keys.size());
  for (const auto& [key, blocks] : keys) {
    std::uint32_t previous = 0;
    for (std::size_t i = 0; i < blocks->size(); ++i) {
      std::uint32_t block = (*blocks)[i];
      fmt::put_varint(&postings, i == 0 ? block : block - previous - 1);  // gaps, strictly rising
      previous = block;
    }
    posting_ends.push_back(static_cast<std::uint32_t>(std::min<std::size_t>(postings.size(), UINT32_MAX)));
  }
  std::vector<std::uint32_t> all_blocks;
  if (postings.size() > UINT32_MAX) {
    // Posting ends are 32-bit. A file this large (far beyond any ring file) gets an index that
    // marks every block "unknown": sound, it rules nothing out but still gives the time index.
    all_blocks.resize(blocks_.size());
    for (std::size_t i = 0; i < all_blocks.size(); ++i) all_blocks[i] = static_cast<std::uint32_t>(i);
    keys.assign(1, {FlowKey::flag(FlowFlag::kUnknown), &all_blocks});
    postings.assign(all_blocks.size(), 0);
    posting_ends.assign(1, static_cast<std::uint32_t>(postings.size()));
    if (all_blocks.empty()) {
      keys.clear();
      posting_ends.clear();
    }
  }

  std::vector<std::uint8_t> out(fmt::kHeaderSize, 0);
  put_blocks(blocks_, &out);
  const std::size_t block_table_size = out.size() - fmt::kHeaderSize;
  // Key directory: the count of each kind, then per kind its values and its posting ends,
  // fixed-width so that a reader binary-searches them where they lie.
  std::array<std::uint32_t, fmt::kKindCount> per_kind{};
  for (const auto& entry : keys) ++per_kind[static_cast<std::size_t>(entry.first.kind) - 1];
  std::uint8_t word[4];
  for (std::uint32_t count : per_kind) {
    fmt::put_le<std::uint32_t>(word, count);
    out.insert(out.end(), word, word + 4);
  }
  std::size_t first = 0;
  for (std::uint32_t count : per_kind) {
    for (std::size_t i = first; i < first + count; ++i) {
      const FlowKey& key = keys[i].first;
      out.insert(out.end(), key.value.begin(), key.value.begin() + static_cast<std::ptrdiff_t>(flow_key_value_size(key.kind)));
    }
    for (std::size_t i = first; i < first + count; ++i) {
      fmt::put_le<std::uint32_t>(word, posting_ends[i]);
      out.insert(out.end(), word, word + 4);
    }
    first += count;
  }
  out.insert(out.end(), postings.begin(), postings.end());

  std::uint8_t* h = out.data();
  std::memcpy(h, fmt::kMagic, sizeof fmt::kMagic);
  fmt::put_le<std::uint16_t>(h + fmt::kVersionAt, fmt::kVersion);
  fmt::put_le<std::uint16_t>(h + fmt::kHeaderSizeAt, fmt::kHeaderSize);
  int linktype = stream_.first_linktype();
  fmt::put_le<std::uint32_t>(h + fmt::kLinktypeAt, linktype < 0 ? fmt::kNoLinktype : static_cast<std::uint32_t>(linktype));
  fmt::put_le<std::uint32_t>(h + fmt::kBlockCountAt, static_cast<std::uint32_t>(blocks_.size()));
  fmt::put_le<std::uint32_t>(h + fmt::kKeyCountAt, static_cast<std::uint32_t>(keys.size()));
  const std::size_t body = out.size() - fmt::kHeaderSize;
  fmt::put_le<std::uint64_t>(h + fmt::kBodySizeAt, body);
  fmt::put_le<std::uint64_t>(h + fmt::kBlockTableSizeAt, block_table_size);
  fmt::put_le<std::uint64_t>(h + fmt::kBodyHashAt, XXH3_64bits(h + fmt::kHeaderSize, body));
  fmt::put_le<std::uint64_t>(h + fmt::kHeaderHashAt, XXH3_64bits(h, fmt::kHeaderHashAt));
  return out;
}

bool build_flow_index_fd(int fd, std::vector<std::uint8_t>* index, std::string* error) {
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    *error = "cannot stat: " + errno_text(errno);
    return false;
  }
  FlowIndexBuilder builder;
  std::vector<std::uint8_t> chunk(1u << 20);
  auto size = static_cast<std::uint64_t>(st.st_size);
  std::uint64_t offset = 0;
  while (offset < size && !builder.failed()) {
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), size - offset));
    ssize_t got = pread(fd, chunk.data(), want, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      *error = "cannot read: " + errno_text(errno);
      return false;
    }
    if (got == 0) break;  // the file shrank while being read: index what was there
    builder.feed(chunk.data(), static_cast<std::size_t>(got));
    offset += static_cast<std::uint64_t>(got);
  }
  if (builder.failed()) {
    *error = builder.error();
    return false;
  }
  if (!builder.header_complete()) {
    *error = "shorter than a capture file header (" + std::to_string(offset) + " bytes)";
    return false;
  }
  *index = builder.finish();
  return true;
}

}  // namespace pcap_ring
