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
    testing::write_text_file(dir.file(n), "");
  auto names = [&](StateFile suffix, const std::string& prefix, const std::string& iface) {
    std::vector<std::string> out;
    for (const auto& p : ring_state_files(dir.path(), suffix, prefix, iface)) out.push_back(p.substr(dir.path().size() + 1));
    return out;
  };
  EXPECT_EQ(names(StateFile::kIndex, "", ""), (std::vector<std::string>{".pcap-br-eth0.index", ".pcap-eth0.index", ".x-eth1.index"}));
  EXPECT_EQ(names(StateFile::kIndex, "pcap", "eth0"), (std::vector<std::string>{".pcap-eth0.index"}));
  EXPECT_EQ(names(StateFile::kIndex, "x", ""), (std::vector<std::string>{".x-eth1.index"}));
  EXPECT_EQ(names(StateFile::kHooks, "", "eth0"), (std::vector<std::string>{".pcap-eth0.hooks"}));
  std::string error;
  EXPECT_TRUE(ring_state_files(dir.file("missing"), StateFile::kIndex, "", "", &error).empty());
  EXPECT_FALSE(error.empty());
}

TEST(RingNames, PartNamesAndRejectedNames) {
  EXPECT_EQ(part_file_name("pcap-eth0-000042.pcap"), "pcap-eth0-000042.pcap.part");
  for (const char* bad : {"../pcap-eth0-000042.pcap", "x/pcap-eth0-000042.pcap", "..", ".pcap-eth0-000042.pcap",
                          "pcap-eth0-0000-1.pcap", "pcap-eth0-+00042.pcap", "pcap-eth0-00004 .pcap",
                          "pcap-eth0-000042.part", "pcap-eth0-.pcap"})
    EXPECT_FALSE(parse_ring_file_name(kRing, bad)) << bad;
}

TEST(RingNames, AnyRingFileName) {
  auto p = parse_any_ring_file_name("cap-br-lan-000007.pcapng");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->stem, "cap-br-lan-");
  EXPECT_EQ(p->interface_name, "br-lan");
  EXPECT_EQ(p->seq, 7u);
  EXPECT_EQ(parse_any_ring_file_name("pcap-eth0-42.pcap")->seq, 42u);
  EXPECT_EQ(parse_any_ring_file_name("pcap-eth0-000002.pcap.bak")->seq, 2u);
  for (const char* bad : {"notes.pcap", "pcap-eth0-abc.pcap", "pcap-eth0-.pcap", "../pcap-eth0-000001.pcap", "a/pcap-eth0-000001.pcap", "..",
                          ".pcap-eth0-000001.pcap", "pcap-eth0-00000x1.pcap"})
    EXPECT_FALSE(parse_any_ring_file_name(bad)) << bad;
}

TEST(RingNames, StateFileNamesBuiltAndParsed) {
  EXPECT_EQ(ring_label(kRing), "pcap-eth0");
  EXPECT_EQ(state_file_name(kRing, StateFile::kIndex), ".pcap-eth0.index");
  EXPECT_EQ(state_file_name(kRing, StateFile::kHooks), ".pcap-eth0.hooks");
  EXPECT_EQ(state_file_name(kRing, StateFile::kStatus), ".pcap-eth0.status");
  EXPECT_EQ(state_file_name(kRing, StateFile::kLock), ".pcap-eth0.lock");
  EXPECT_EQ(state_file_name("cap-br-lan", StateFile::kLock), ".cap-br-lan.lock");
  EXPECT_EQ(state_file_ring_label(".cap-br-lan.status", StateFile::kStatus), "cap-br-lan");
  EXPECT_FALSE(state_file_ring_label(".cap-br-lan.status", StateFile::kIndex));
  for (const char* bad : {".status", "..status", "pcap-eth0.status", "./x.status", ".pcap-eth0.status.tmp"})
    EXPECT_FALSE(state_file_ring_label(bad, StateFile::kStatus)) << bad;
}

TEST(RingNames, ValidNameParts) {
  EXPECT_TRUE(is_valid_name_part("eth0"));
  EXPECT_FALSE(is_valid_name_part(""));
  EXPECT_FALSE(is_valid_name_part("../x"));
  EXPECT_FALSE(is_valid_name_part(".hidden"));
}

}  // namespace
}  // namespace pcap_ring
