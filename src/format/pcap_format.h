// Encoding of pcap and pcapng files, byte for byte, in host byte order (readers detect it
// from the magic). The encoder writes into caller-provided memory so the capture loop can
// pack records into large batches without allocating per packet.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/timestamp.h"

namespace pcap_ring {

enum class FileFormat { kPcap, kPcapng };
enum class TimestampPrecision { kNano, kMicro };

// What every file of one ring shares.
struct StreamParams {
  FileFormat format = FileFormat::kPcap;
  TimestampPrecision precision = TimestampPrecision::kNano;
  int linktype = 1;  // DLT_EN10MB
  std::uint32_t snaplen = 262144;
  std::string interface_name;  // pcapng if_name
  std::string filter;          // pcapng if_filter
};

inline constexpr std::uint32_t kPcapMagicMicro = 0xa1b2c3d4;
inline constexpr std::uint32_t kPcapMagicNano = 0xa1b23c4d;
inline constexpr std::uint32_t kPcapngSectionHeader = 0x0A0D0D0A;
inline constexpr std::uint32_t kPcapngByteOrderMagic = 0x1A2B3C4D;
inline constexpr std::uint32_t kPcapngInterfaceDescription = 1;
inline constexpr std::uint32_t kPcapngInterfaceStatistics = 5;
inline constexpr std::uint32_t kPcapngEnhancedPacket = 6;
inline constexpr std::size_t kPcapFileHeaderSize = 24;
inline constexpr std::size_t kPcapRecordHeaderSize = 16;

// File header: the pcap global header, or pcapng section header + interface description.
std::vector<std::uint8_t> encode_file_header(const StreamParams& params);

// Bytes one record of `caplen` captured bytes takes in the file.
std::size_t record_size(const StreamParams& params, std::uint32_t caplen);

// Writes one record at `dst` (which must have record_size() bytes) and returns its size.
std::size_t encode_record(const StreamParams& params, std::uint8_t* dst, NanoTime ts,
                          std::uint32_t caplen, std::uint32_t origlen, const std::uint8_t* data);

// Bytes appended when a file is closed: a pcapng interface statistics block; nothing for pcap.
std::size_t trailer_size(const StreamParams& params);
std::vector<std::uint8_t> encode_file_trailer(const StreamParams& params, NanoTime ts,
                                              std::uint64_t received, std::uint64_t dropped);

// File name extension for the format, with the dot.
const char* file_extension(FileFormat format);

}  // namespace pcap_ring
