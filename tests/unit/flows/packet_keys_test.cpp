#include "flows/packet_keys.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "flows/flow_test_frames.h"

namespace pcap_ring {
namespace {

using testing::FrameSpec;
using testing::make_frame;
using testing::v4;
using testing::v6;

std::vector<FlowKey> keys_of(const std::vector<std::uint8_t>& frame, int linktype = kLinktypeEthernet,
                             std::uint32_t caplen = 0) {
  std::vector<FlowKey> keys;
  append_packet_keys(linktype, frame.data(), caplen ? caplen : static_cast<std::uint32_t>(frame.size()), &keys);
  return keys;
}

bool has(const std::vector<FlowKey>& keys, const FlowKey& key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

FlowKey ipv4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  auto bytes = v4(a, b, c, d);
  return FlowKey::address(FlowKeyKind::kIpv4, bytes.data());
}
FlowKey ipv6(std::uint16_t last) {
  auto bytes = v6(last);
  return FlowKey::address(FlowKeyKind::kIpv6, bytes.data());
}
const FlowKey kUnknown = FlowKey::flag(FlowFlag::kUnknown);

TEST(PacketKeys, Ipv4TcpHasAddressesProtocolPortsAndFlags) {
  FrameSpec s;
  s.src = v4(10, 0, 0, 1);
  s.dst = v4(10, 0, 0, 2);
  s.sport = 40000;
  s.dport = 443;
  auto keys = keys_of(make_frame(s));
  EXPECT_TRUE(has(keys, ipv4(10, 0, 0, 1)));
  EXPECT_TRUE(has(keys, ipv4(10, 0, 0, 2)));
  EXPECT_TRUE(has(keys, FlowKey::ip_proto(6)));
  EXPECT_TRUE(has(keys, FlowKey::port(40000)));
  EXPECT_TRUE(has(keys, FlowKey::port(443)));
  EXPECT_TRUE(has(keys, FlowKey::flag(FlowFlag::kIpv4)));
  EXPECT_TRUE(has(keys, FlowKey::flag(FlowFlag::kTagDepth0)));
  EXPECT_FALSE(has(keys, kUnknown));
}

TEST(PacketKeys, VlanAndQinqIndexTheInnerPacketWithTheirDepth) {
  FrameSpec s;
  s.src = v4(192, 168, 1, 1);
  s.tags = {0x8100};
  auto one = keys_of(make_frame(s));
  EXPECT_TRUE(has(one, ipv4(192, 168, 1, 1)));
  EXPECT_TRUE(has(one, FlowKey::flag(FlowFlag::kTagDepth1)));
  s.tags = {0x88a8, 0x8100};
  auto two = keys_of(make_frame(s));
  EXPECT_TRUE(has(two, ipv4(192, 168, 1, 1)));
  EXPECT_TRUE(has(two, FlowKey::port(80)));
  EXPECT_TRUE(has(two, FlowKey::flag(FlowFlag::kTagDepth2)));
  s.tags = {0x88a8, 0x8100, 0x8100, 0x8100};
  EXPECT_TRUE(has(keys_of(make_frame(s)), FlowKey::flag(FlowFlag::kTagDepth3OrMore)));
}

TEST(PacketKeys, LaterIpv4FragmentHasNoPorts) {
  FrameSpec s;
  s.later_fragment = true;
  s.proto = 17;
  auto keys = keys_of(make_frame(s));
  EXPECT_TRUE(has(keys, FlowKey::ip_proto(17)));
  EXPECT_FALSE(has(keys, FlowKey::port(80)));
  EXPECT_FALSE(has(keys, kUnknown));
}

TEST(PacketKeys, Ipv6ExtensionHeadersAreWalkedToThePorts) {
  FrameSpec s;
  s.network = FrameSpec::Network::kIpv6;
  s.src = v6(1);
  s.dst = v6(2);
  s.ipv6_hop_by_hop = true;
  s.ipv6_fragment = true;
  s.proto = 17;
  s.dport = 53;
  auto keys = keys_of(make_frame(s));
  EXPECT_TRUE(has(keys, ipv6(1)));
  EXPECT_TRUE(has(keys, ipv6(2)));
  EXPECT_TRUE(has(keys, FlowKey::ip_proto(0)));
  EXPECT_TRUE(has(keys, FlowKey::ip_proto(44)));
  EXPECT_TRUE(has(keys, FlowKey::ip_proto(17)));
  EXPECT_TRUE(has(keys, FlowKey::port(53)));
  EXPECT_TRUE(has(keys, FlowKey::flag(FlowFlag::kIpv6)));
  s.later_fragment = true;
  auto later = keys_of(make_frame(s));
  EXPECT_TRUE(has(later, FlowKey::ip_proto(17)));
  EXPECT_FALSE(has(later, FlowKey::port(53)));
}

TEST(PacketKeys, TruncatedHeadersMakeTheRecordUnknown) {
  FrameSpec s;
  auto frame = make_frame(s);
  EXPECT_TRUE(has(keys_of(frame, kLinktypeEthernet, 10), kUnknown));  // inside Ethernet
  EXPECT_TRUE(has(keys_of(frame, kLinktypeEthernet, 30), kUnknown));  // inside IPv4
  EXPECT_TRUE(has(keys_of(frame, kLinktypeEthernet, 36), kUnknown));  // inside the ports
  EXPECT_FALSE(has(keys_of(frame, kLinktypeEthernet, 38), kUnknown));
  s.network = FrameSpec::Network::kIpv6;
  s.ipv6_hop_by_hop = true;
  EXPECT_TRUE(has(keys_of(make_frame(s), kLinktypeEthernet, 14 + 44), kUnknown));
}

TEST(PacketKeys, ArpAddressesAreHosts) {
  FrameSpec s;
  s.network = FrameSpec::Network::kArp;
  s.src = v4(10, 1, 1, 1);
  s.dst = v4(10, 1, 1, 2);
  auto keys = keys_of(make_frame(s));
  EXPECT_TRUE(has(keys, ipv4(10, 1, 1, 1)));
  EXPECT_TRUE(has(keys, ipv4(10, 1, 1, 2)));
  EXPECT_FALSE(has(keys, FlowKey::flag(FlowFlag::kIpv4)));
}

TEST(PacketKeys, NonIpFrameHasOnlyItsTagDepth) {
  FrameSpec s;
  s.network = FrameSpec::Network::kOther;
  auto keys = keys_of(make_frame(s));
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0], FlowKey::flag(FlowFlag::kTagDepth0));
}

TEST(PacketKeys, RawAndCookedLinkTypes) {
  FrameSpec s;
  s.src = v4(10, 0, 0, 9);
  auto ethernet = make_frame(s);
  std::vector<std::uint8_t> raw(ethernet.begin() + 14, ethernet.end());
  EXPECT_TRUE(has(keys_of(raw, kLinktypeRaw), ipv4(10, 0, 0, 9)));
  std::vector<std::uint8_t> sll(14, 0);
  sll.insert(sll.end(), ethernet.begin() + 12, ethernet.end());  // protocol, then the packet
  EXPECT_TRUE(has(keys_of(sll, kLinktypeLinuxSll), ipv4(10, 0, 0, 9)));
  std::vector<std::uint8_t> sll2 = {0x08, 0x00};
  sll2.resize(20, 0);
  sll2.insert(sll2.end(), ethernet.begin() + 14, ethernet.end());
  EXPECT_TRUE(has(keys_of(sll2, kLinktypeLinuxSll2), ipv4(10, 0, 0, 9)));
  EXPECT_TRUE(has(keys_of(ethernet, 105), kUnknown));  // 802.11: not read
}

}  // namespace
}  // namespace pcap_ring
