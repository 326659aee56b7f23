#include "flows/capture_record_stream.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "format/pcap_format.h"

namespace pcap_ring {
namespace {

// Largest pcap record body taken as genuine (libpcap's own savefile limit, as the scanner's).
constexpr std::uint32_t kMaxRecordBytes = 262144;
// Largest pcapng block buffered whole; a longer length field is garbage, not a block.
constexpr std::uint32_t kMaxPcapngBlock = 16u << 20;
constexpr std::uint32_t kPcapngObsoletePacket = 2;
constexpr std::uint32_t kPcapngSimplePacket = 3;
constexpr std::uint16_t kOptionTsresol = 9;

bool is_pcap_magic(std::uint32_t magic) {
  return magic == kPcapMagicMicro || magic == kPcapMagicNano ||
         magic == __builtin_bswap32(kPcapMagicMicro) || magic == __builtin_bswap32(kPcapMagicNano);
}

}  // namespace

bool CaptureRecordStream::finish_pending(const std::uint8_t* data, std::size_t size, CaptureRecordSink& sink,
                                         std::size_t* skip) {
  // The unfinished record is completed with as few of the new bytes as it needs (a first
  // piece, then all of them), so that a tail does not make every later piece be copied.
  constexpr std::size_t kFirstPiece = 64 * 1024;
  const std::size_t tail = pending_.size();
  std::size_t taken = 0;
  std::size_t pos = 0;
  while (pos < tail) {  // a record still begins in the old tail
    std::size_t used = 0;
    Step result = step(pending_.data() + pos, pending_.size() - pos, consumed_ + pos, sink, &used);
    if (result == Step::kConsumed) {
      pos += used;
      continue;
    }
    if (result == Step::kStop) {
      consumed_ += pos;
      stop();
      return false;
    }
    if (taken == size) break;
    const std::size_t more = taken == 0 ? std::min(size, kFirstPiece) : size - taken;
    pending_.insert(pending_.end(), data + taken, data + taken + more);
    taken += more;
  }
  consumed_ += pos;
  if (pos < tail) {  // every new byte is taken and the record is still unfinished
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(pos));
    return false;
  }
  *skip = pos - tail;
  pending_.clear();
  return true;
}

void CaptureRecordStream::stop() {
  stopped_ = true;
  std::vector<std::uint8_t>().swap(pending_);
}

CaptureRecordStream::Step CaptureRecordStream::step(const std::uint8_t* p, std::size_t available,
                                                    std::uint64_t offset, CaptureRecordSink& sink,
                                                    std::size_t* used) {
  switch (format_) {
    case Format::kUnknown: return read_file_magic(p, available, used);
    case Format::kPcap: return read_pcap_record(p, available, offset, sink, used);
    case Format::kPcapng: return read_pcapng_block(p, available, offset, sink, used);
  }
  return Step::kStop;
}

CaptureRecordStream::Step CaptureRecordStream::read_file_magic(const std::uint8_t* p, std::size_t available,
                                                               std::size_t* used) {
  if (available < 4) return Step::kNeedMore;
  std::uint32_t magic;
  std::memcpy(&magic, p, 4);
  if (magic == kPcapngSectionHeader) {
    format_ = Format::kPcapng;  // the section header itself is then read as the first block
    *used = 0;
    return Step::kConsumed;
  }
  if (!is_pcap_magic(magic)) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%08x", magic);
    failed_ = true;
    error_ = std::string("not a pcap or pcapng file (magic ") + hex + ")";
    return Step::kStop;
  }
  if (available < kPcapFileHeaderSize) return Step::kNeedMore;
  swapped_ = magic == __builtin_bswap32(kPcapMagicMicro) || magic == __builtin_bswap32(kPcapMagicNano);
  nano_ = load32(p) == kPcapMagicNano;
  snaplen_ = load32(p + 16);
  if (snaplen_ == 0 || snaplen_ > kMaxRecordBytes) snaplen_ = kMaxRecordBytes;
  first_linktype_ = static_cast<int>(load32(p + 20) & 0xffff);  // upper bits: FCS length, reserved
  format_ = Format::kPcap;
  header_complete_ = true;
  *used = kPcapFileHeaderSize;
  return Step::kConsumed;
}

CaptureRecordStream::Step CaptureRecordStream::read_pcapng_block(const std::uint8_t* p, std::size_t available,
                                                                 std::uint64_t offset,
                                                                 CaptureRecordSink& sink, std::size_t* used) {
  if (available < 12) return Step::kNeedMore;
  std::uint32_t type;
  std::memcpy(&type, p, 4);  // the section header type reads the same in both byte orders
  if (type == kPcapngSectionHeader) {
    std::uint32_t order;
    std::memcpy(&order, p + 8, 4);
    if (order != kPcapngByteOrderMagic && order != __builtin_bswap32(kPcapngByteOrderMagic)) {
      if (offset == 0) {
        failed_ = true;
        error_ = "not a pcapng file (bad byte-order magic in the section header)";
      }
      return Step::kStop;
    }
    swapped_ = order != kPcapngByteOrderMagic;
  }
  type = load32(p);
  std::uint32_t total = load32(p + 4);
  if (total < 12 || total % 4 != 0 || total > kMaxPcapngBlock) return Step::kStop;
  if (type == kPcapngSectionHeader && total < 28) return Step::kStop;
  if (available < total) return Step::kNeedMore;
  if (load32(p + total - 4) != total) return Step::kStop;
  const std::uint8_t* body = p + 8;
  std::uint32_t body_len = total - 12;
  if (type == kPcapngEnhancedPacket || type == kPcapngObsoletePacket || type == kPcapngSimplePacket) {
    if (!emit_pcapng_packet(type, body, body_len, offset, total, sink)) return Step::kStop;
  } else {
    if (type == kPcapngSectionHeader) interfaces_.clear();
    if (type == kPcapngInterfaceDescription) read_interface(body, body_len);
    sink.on_other_block();
  }
  header_complete_ = true;
  *used = total;
  return Step::kConsumed;
}

void CaptureRecordStream::read_interface(const std::uint8_t* body, std::uint32_t body_len) {
  Interface iface;
  if (body_len >= 8) {
    iface.linktype = load16(body);
    iface.snaplen = load32(body + 4);
    std::uint32_t opt = 8;
    while (opt + 4 <= body_len) {
      std::uint16_t code = load16(body + opt);
      std::uint16_t len = load16(body + opt + 2);
      if (code == 0 || opt + 4 + len > body_len) break;
      if (code == kOptionTsresol && len >= 1) iface.resolution = pcapng_resolution(body[opt + 4]);
      opt += 4 + ((len + 3u) & ~3u);
    }
  }
  if (first_linktype_ < 0) first_linktype_ = iface.linktype;
  interfaces_.push_back(iface);
}

bool CaptureRecordStream::emit_pcapng_packet(std::uint32_t type, const std::uint8_t* body,
                                             std::uint32_t body_len, std::uint64_t offset,
                                             std::uint64_t total, CaptureRecordSink& sink) {
  CaptureRecord record;
  record.offset = offset;
  record.end = offset + total;
  std::uint32_t iface = 0;
  if (type == kPcapngSimplePacket) {
    if (body_len < 4) return false;
    std::uint32_t origlen = load32(body);
    record.caplen = std::min(origlen, body_len - 4);
    if (!interfaces_.empty() && interfaces_[0].snaplen != 0)
      record.caplen = std::min(record.caplen, interfaces_[0].snaplen);
    record.data = body + 4;
    record.has_time = false;
  } else {
    if (body_len < 20) return false;
    iface = type == kPcapngEnhancedPacket ? load32(body) : load16(body);
    std::uint32_t caplen = load32(body + 12);
    std::uint32_t origlen = load32(body + 16);
    // A captured length beyond the block or above the original length is not a record.
    if (caplen > body_len - 20 || (type == kPcapngEnhancedPacket && origlen < caplen)) return false;
    std::uint64_t ticks = (static_cast<std::uint64_t>(load32(body + 4)) << 32) | load32(body + 8);
    PcapngResolution resolution = iface < interfaces_.size() ? interfaces_[iface].resolution : PcapngResolution{};
    record.time = pcapng_ticks_to_ns(ticks, resolution);
    record.data = body + 20;
    record.caplen = caplen;
  }
  record.linktype = iface < interfaces_.size() ? interfaces_[iface].linktype : -1;
  sink.on_record(record);
  return true;
}

}  // namespace pcap_ring
