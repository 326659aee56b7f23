#include "format/pcap_format.h"

#include <cstring>

namespace pcap_ring {
namespace {

constexpr std::uint16_t kOptEndOfOpt = 0;
constexpr std::uint16_t kOptShbUserAppl = 4;
constexpr std::uint16_t kOptIfName = 2;
constexpr std::uint16_t kOptIfFilter = 11;
constexpr std::uint16_t kOptIfTsresol = 9;
constexpr std::uint16_t kOptIsbIfRecv = 4;
constexpr std::uint16_t kOptIsbIfDrop = 5;

constexpr std::size_t pad4(std::size_t n) { return (n + 3) & ~std::size_t{3}; }

template <typename T>
void put(std::uint8_t*& p, T value) {
  std::memcpy(p, &value, sizeof value);
  p += sizeof value;
}

template <typename T>
void append(std::vector<std::uint8_t>& out, T value) {
  const auto* b = reinterpret_cast<const std::uint8_t*>(&value);
  out.insert(out.end(), b, b + sizeof value);
}

void append_option(std::vector<std::uint8_t>& out, std::uint16_t code, const void* value,
                   std::size_t len) {
  append(out, code);
  append(out, static_cast<std::uint16_t>(len));
  const auto* b = static_cast<const std::uint8_t*>(value);
  out.insert(out.end(), b, b + len);
  out.resize(out.size() + (pad4(len) - len), 0);
}

// Wraps a pcapng block body with type and both total-length fields.
void append_block(std::vector<std::uint8_t>& out, std::uint32_t type,
                  const std::vector<std::uint8_t>& body) {
  auto total = static_cast<std::uint32_t>(12 + body.size());
  append(out, type);
  append(out, total);
  out.insert(out.end(), body.begin(), body.end());
  append(out, total);
}

std::uint64_t ticks(const StreamParams& params, NanoTime ts) {
  auto t = static_cast<std::uint64_t>(ts);
  return params.precision == TimestampPrecision::kNano ? t : t / 1000;
}

constexpr std::size_t kIsbBodySize = 4 + 8 + 2 * (4 + 8) + 4;  // id, ts, recv, drop, end

}  // namespace

std::vector<std::uint8_t> encode_file_header(const StreamParams& params) {
  std::vector<std::uint8_t> out;
  if (params.format == FileFormat::kPcap) {
    append(out, params.precision == TimestampPrecision::kNano ? kPcapMagicNano : kPcapMagicMicro);
    append(out, std::uint16_t{2});  // version 2.4
    append(out, std::uint16_t{4});
    append(out, std::int32_t{0});   // thiszone
    append(out, std::uint32_t{0});  // sigfigs
    append(out, params.snaplen);
    append(out, static_cast<std::uint32_t>(params.linktype));
    return out;
  }
  std::vector<std::uint8_t> shb;
  append(shb, kPcapngByteOrderMagic);
  append(shb, std::uint16_t{1});
  append(shb, std::uint16_t{0});
  append(shb, std::int64_t{-1});  // section length unknown: the file grows while written
  static constexpr char kUserAppl[] = "packet-capture";
  append_option(shb, kOptShbUserAppl, kUserAppl, sizeof kUserAppl - 1);
  append_option(shb, kOptEndOfOpt, nullptr, 0);
  append_block(out, kPcapngSectionHeader, shb);

  std::vector<std::uint8_t> idb;
  append(idb, static_cast<std::uint16_t>(params.linktype));
  append(idb, std::uint16_t{0});
  append(idb, params.snaplen);
  if (!params.interface_name.empty())
    append_option(idb, kOptIfName, params.interface_name.data(), params.interface_name.size());
  if (!params.filter.empty()) {
    std::vector<std::uint8_t> f{0};  // 0 = libpcap filter string
    f.insert(f.end(), params.filter.begin(), params.filter.end());
    append_option(idb, kOptIfFilter, f.data(), f.size());
  }
  std::uint8_t tsresol = params.precision == TimestampPrecision::kNano ? 9 : 6;
  append_option(idb, kOptIfTsresol, &tsresol, 1);
  append_option(idb, kOptEndOfOpt, nullptr, 0);
  append_block(out, kPcapngInterfaceDescription, idb);
  return out;
}

std::size_t record_size(const StreamParams& params, std::uint32_t caplen) {
  if (params.format == FileFormat::kPcap) return kPcapRecordHeaderSize + caplen;
  return 32 + pad4(caplen);
}

std::size_t encode_record(const StreamParams& params, std::uint8_t* dst, NanoTime ts,
                          std::uint32_t caplen, std::uint32_t origlen, const std::uint8_t* data) {
  std::uint8_t* p = dst;
  if (params.format == FileFormat::kPcap) {
    auto secs = static_cast<std::uint32_t>(ts / kNanosPerSecond);
    auto frac = static_cast<std::uint32_t>(ts % kNanosPerSecond);
    if (params.precision == TimestampPrecision::kMicro) frac /= 1000;
    put(p, secs);
    put(p, frac);
    put(p, caplen);
    put(p, origlen);
    std::memcpy(p, data, caplen);
    return kPcapRecordHeaderSize + caplen;
  }
  const auto total = static_cast<std::uint32_t>(32 + pad4(caplen));
  const std::uint64_t t = ticks(params, ts);
  put(p, kPcapngEnhancedPacket);
  put(p, total);
  put(p, std::uint32_t{0});  // interface id
  put(p, static_cast<std::uint32_t>(t >> 32));
  put(p, static_cast<std::uint32_t>(t & 0xffffffffu));
  put(p, caplen);
  put(p, origlen);
  std::memcpy(p, data, caplen);
  p += caplen;
  std::size_t padding = pad4(caplen) - caplen;
  std::memset(p, 0, padding);
  p += padding;
  put(p, total);
  return total;
}

std::size_t trailer_size(const StreamParams& params) {
  return params.format == FileFormat::kPcapng ? 12 + kIsbBodySize : 0;
}

std::vector<std::uint8_t> encode_file_trailer(const StreamParams& params, NanoTime ts,
                                              std::uint64_t received, std::uint64_t dropped) {
  std::vector<std::uint8_t> out;
  if (params.format != FileFormat::kPcapng) return out;
  const std::uint64_t t = ticks(params, ts);
  std::vector<std::uint8_t> isb;
  append(isb, std::uint32_t{0});
  append(isb, static_cast<std::uint32_t>(t >> 32));
  append(isb, static_cast<std::uint32_t>(t & 0xffffffffu));
  append_option(isb, kOptIsbIfRecv, &received, 8);
  append_option(isb, kOptIsbIfDrop, &dropped, 8);
  append_option(isb, kOptEndOfOpt, nullptr, 0);
  append_block(out, kPcapngInterfaceStatistics, isb);
  return out;
}

const char* file_extension(FileFormat format) {
  return format == FileFormat::kPcapng ? ".pcapng" : ".pcap";
}

}  // namespace pcap_ring
