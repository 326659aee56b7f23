#include "format/pcap_format.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace pcap_ring {
namespace {

using Bytes = std::vector<std::uint8_t>;

TEST(PcapFormat, NanosecondPcapHeaderMatchesGoldenBytes) {
  StreamParams p;
  p.snaplen = 65535;
  p.linktype = 1;
  Bytes expected = {0x4d, 0x3c, 0xb2, 0xa1, 0x02, 0x00, 0x04, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
                    0xff, 0xff, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00};
  EXPECT_EQ(encode_file_header(p), expected);
  p.precision = TimestampPrecision::kMicro;
  EXPECT_EQ(encode_file_header(p)[0], 0xd4);
  EXPECT_EQ(encode_file_header(p)[3], 0xa1);
}

TEST(PcapFormat, PcapRecordCarriesSecondsNanosecondsAndLengths) {
  StreamParams p;
  const std::uint8_t payload[3] = {0xaa, 0xbb, 0xcc};
  NanoTime ts = 1'700'000'000LL * kNanosPerSecond + 123'456'789;
  Bytes out(record_size(p, 3));
  ASSERT_EQ(encode_record(p, out.data(), ts, 3, 60, payload), 19u);
  Bytes expected = {0x00, 0xf1, 0x53, 0x65,  // 1700000000
                    0x15, 0xcd, 0x5b, 0x07,  // 123456789
                    3, 0, 0, 0, 60, 0, 0, 0, 0xaa, 0xbb, 0xcc};
  EXPECT_EQ(out, expected);

  p.precision = TimestampPrecision::kMicro;
  encode_record(p, out.data(), ts, 3, 60, payload);
  std::uint32_t usec;
  std::memcpy(&usec, out.data() + 4, 4);
  EXPECT_EQ(usec, 123456u);
}

TEST(PcapFormat, PcapngHeaderHasSectionAndInterfaceBlocksWithOptions) {
  StreamParams p;
  p.format = FileFormat::kPcapng;
  p.snaplen = 1500;
  p.interface_name = "eth0";
  p.filter = "udp";
  Bytes h = encode_file_header(p);
  // Section header block: type, length, byte-order magic, version 1.0, length -1.
  Bytes shb_start = {0x0a, 0x0d, 0x0d, 0x0a};
  ASSERT_GE(h.size(), 28u);
  EXPECT_TRUE(std::equal(shb_start.begin(), shb_start.end(), h.begin()));
  std::uint32_t shb_len;
  std::memcpy(&shb_len, h.data() + 4, 4);
  std::uint32_t magic;
  std::memcpy(&magic, h.data() + 8, 4);
  EXPECT_EQ(magic, 0x1A2B3C4Du);
  std::uint32_t shb_trailer;
  std::memcpy(&shb_trailer, h.data() + shb_len - 4, 4);
  EXPECT_EQ(shb_trailer, shb_len);
  // Interface description block follows: linktype 1, snaplen 1500, if_name, if_filter, tsresol 9.
  const std::uint8_t* idb = h.data() + shb_len;
  std::uint32_t idb_type, idb_len;
  std::memcpy(&idb_type, idb, 4);
  std::memcpy(&idb_len, idb + 4, 4);
  EXPECT_EQ(idb_type, 1u);
  EXPECT_EQ(shb_len + idb_len, h.size());
  Bytes idb_body(idb + 8, idb + idb_len - 4);
  Bytes expected_body = {1, 0, 0, 0, 0xdc, 0x05, 0, 0,   // linktype, reserved, snaplen
                         2, 0, 4, 0, 'e', 't', 'h', '0',  // if_name
                         11, 0, 4, 0, 0, 'u', 'd', 'p',   // if_filter (libpcap string)
                         9, 0, 1, 0, 9, 0, 0, 0,          // if_tsresol = 9 (ns)
                         0, 0, 0, 0};                     // opt_endofopt
  EXPECT_EQ(idb_body, expected_body);
}

TEST(PcapFormat, EnhancedPacketBlockIsPaddedAndCarriesTicks) {
  StreamParams p;
  p.format = FileFormat::kPcapng;
  const std::uint8_t payload[5] = {1, 2, 3, 4, 5};
  NanoTime ts = 0x1'0000'0002LL;
  ASSERT_EQ(record_size(p, 5), 40u);
  Bytes out(40);
  ASSERT_EQ(encode_record(p, out.data(), ts, 5, 9, payload), 40u);
  Bytes expected = {6, 0, 0, 0, 40, 0, 0, 0, 0, 0, 0, 0,  // type, length, interface 0
                    1, 0, 0, 0, 2, 0, 0, 0,              // timestamp high, low
                    5, 0, 0, 0, 9, 0, 0, 0,              // captured, original length
                    1, 2, 3, 4, 5, 0, 0, 0,              // data padded to 4
                    40, 0, 0, 0};
  EXPECT_EQ(out, expected);
}

TEST(PcapFormat, StatisticsTrailerOnlyForPcapng) {
  StreamParams p;
  EXPECT_EQ(trailer_size(p), 0u);
  EXPECT_TRUE(encode_file_trailer(p, 0, 10, 2).empty());
  p.format = FileFormat::kPcapng;
  Bytes t = encode_file_trailer(p, 5, 10, 2);
  ASSERT_EQ(t.size(), trailer_size(p));
  std::uint32_t type, len, len2;
  std::memcpy(&type, t.data(), 4);
  std::memcpy(&len, t.data() + 4, 4);
  std::memcpy(&len2, t.data() + t.size() - 4, 4);
  EXPECT_EQ(type, 5u);
  EXPECT_EQ(len, t.size());
  EXPECT_EQ(len2, t.size());
  // isb_ifrecv (4) = 10, isb_ifdrop (5) = 2
  Bytes recv = {4, 0, 8, 0, 10, 0, 0, 0, 0, 0, 0, 0, 5, 0, 8, 0, 2, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_NE(std::search(t.begin(), t.end(), recv.begin(), recv.end()), t.end());
}

}  // namespace
}  // namespace pcap_ring
