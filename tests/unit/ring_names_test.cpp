#include "ring_names.h"

#include <gtest/gtest.h>

namespace pcap_ring {
namespace {

const RingId kRing{"pcap", "eth0"};

TEST(RingNames, ZeroPaddedToSixDigitsAndWiderWhenNeeded) {
  EXPECT_EQ(ring_file_name(kRing, 42, FileFormat::kPcap), "pcap-eth0-000042.pcap");
  EXPECT_EQ(ring_file_name(kRing, 1234567, FileFormat::kPcapng), "pcap-eth0-1234567.pcapng");
}

TEST(RingNames, ParsesOwnNamesOnly) {
  auto p = parse_ring_file_name(kRing, "pcap-eth0-000042.pcap");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->seq, 42u);
  EXPECT_FALSE(p->partial);
  p = parse_ring_file_name(kRing, "pcap-eth0-000043.pcapng.part");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->seq, 43u);
  EXPECT_TRUE(p->partial);
  EXPECT_EQ(p->format, FileFormat::kPcapng);
  EXPECT_EQ(parse_ring_file_name(kRing, "pcap-eth0-1234567.pcap")->seq, 1234567u);

  EXPECT_FALSE(parse_ring_file_name(kRing, "pcap-eth1-000042.pcap"));
  EXPECT_FALSE(parse_ring_file_name(kRing, "other-eth0-000042.pcap"));
  EXPECT_FALSE(parse_ring_file_name(kRing, "pcap-eth0-42.pcap"));
  EXPECT_FALSE(parse_ring_file_name(kRing, "pcap-eth0-00004x.pcap"));
  EXPECT_FALSE(parse_ring_file_name(kRing, "pcap-eth0-0000042.pcap"));  // would alias 000042
  EXPECT_FALSE(parse_ring_file_name(kRing, "pcap-eth0-000042.pcap.tmp"));
  EXPECT_FALSE(parse_ring_file_name(kRing, ".pcap-eth0.index"));
}

TEST(RingNames, InterfaceWithDashesIsMatchedExactly) {
  RingId ring{"pcap", "br-lan"};
  auto p = parse_ring_file_name(ring, "pcap-br-lan-000001.pcap");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->seq, 1u);
  EXPECT_FALSE(parse_ring_file_name(RingId{"pcap", "br"}, "pcap-br-lan-000001.pcap"));
}

TEST(RingNames, ValidNameParts) {
  EXPECT_TRUE(is_valid_name_part("eth0"));
  EXPECT_FALSE(is_valid_name_part(""));
  EXPECT_FALSE(is_valid_name_part("../x"));
  EXPECT_FALSE(is_valid_name_part(".hidden"));
}

}  // namespace
}  // namespace pcap_ring
