#include "ring/ring_names.h"

#include <gtest/gtest.h>

#include <fstream>

#include "support/test_support.h"

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

TEST(RingNames, StateFilesOfARing) {
  testing::TempDir dir;
  for (const char* n : {".pcap-eth0.index", ".pcap-br-eth0.index", ".x-eth1.index", ".pcap-eth0.hooks", "pcap-eth0-000001.pcap"})
    std::ofstream(dir.file(n)) << "";
  auto names = [&](const std::string& suffix, const std::string& prefix, const std::string& iface) {
    std::vector<std::string> out;
    for (const auto& p : ring_state_files(dir.path(), suffix, prefix, iface)) out.push_back(p.substr(dir.path().size() + 1));
    return out;
  };
  EXPECT_EQ(names(".index", "", ""), (std::vector<std::string>{".pcap-br-eth0.index", ".pcap-eth0.index", ".x-eth1.index"}));
  EXPECT_EQ(names(".index", "pcap", "eth0"), (std::vector<std::string>{".pcap-eth0.index"}));
  EXPECT_EQ(names(".index", "x", ""), (std::vector<std::string>{".x-eth1.index"}));
  EXPECT_EQ(names(".hooks", "", "eth0"), (std::vector<std::string>{".pcap-eth0.hooks"}));
  std::string error;
  EXPECT_TRUE(ring_state_files(dir.file("missing"), ".index", "", "", &error).empty());
  EXPECT_FALSE(error.empty());
}

TEST(RingNames, ValidNameParts) {
  EXPECT_TRUE(is_valid_name_part("eth0"));
  EXPECT_FALSE(is_valid_name_part(""));
  EXPECT_FALSE(is_valid_name_part("../x"));
  EXPECT_FALSE(is_valid_name_part(".hidden"));
}

}  // namespace
}  // namespace pcap_ring
