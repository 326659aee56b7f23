#include "flows/flow_query.h"

#include <gtest/gtest.h>

namespace pcap_ring {
namespace {

using Op = FlowQueryNode::Op;

TEST(FlowQuery, AcceptsWhatTheIndexCanAnswer) {
  for (const char* filter :
       {"", "host 10.0.0.1", "src host 10.0.0.1", "dst host 2001:db8::1", "ip host 10.0.0.1",
        "ip6 host ::1", "src or dst host 10.0.0.1", "src and dst host 10.0.0.1", "src 10.0.0.1",
        "net 10.0.0.0/8", "net 10", "net 10.1", "net 10.1.2", "dst net 192.168.0.0 mask 255.255.0.0",
        "net 2001:db8::/32", "port 80", "src port 53", "tcp port 443", "udp dst port 53", "sctp port 9",
        "tcp", "udp", "icmp", "icmp6", "sctp", "ip", "ip6", "ip proto 47", "ip6 proto 58", "proto 17",
        "vlan", "vlan 100", "vlan and host 10.0.0.1", "host 10.0.0.1 or 10.0.0.2",
        "tcp port 80 or 443", "not host 10.0.0.1", "! tcp", "!tcp", "(host 10.0.0.1 && port 22) || udp",
        "host 10.0.0.1 and not (port 22 or port 443)", "((tcp))"}) {
    EXPECT_TRUE(parse_flow_query(filter).has_value()) << filter;
  }
}

TEST(FlowQuery, RefusesEverythingElse) {
  for (const char* filter :
       {"tcp[13] & 2 != 0", "ether host 00:11:22:33:44:55", "host example.com", "port http",
        "portrange 1-100", "less 100", "greater 100", "broadcast", "arp", "mpls", "pppoes",
        "host 10.0.0", "port 0x50", "port 080", "port 70000", "ip proto 256", "net 10.0.0.0/33",
        "host", "host 10.0.0.1 and", "(host 10.0.0.1", "host 10.0.0.1)", "10.0.0.1", "tcp or 80",
        "HOST 10.0.0.1", "host 10.0.0.1 or tcp or 10.0.0.2", "icmp host 10.0.0.1", "tcp host 10.0.0.1",
        "ip port 80", "len > 100", "gateway 10.0.0.1", "net 10.0.0.0 mask"}) {
    EXPECT_FALSE(parse_flow_query(filter).has_value()) << filter;
  }
}

TEST(FlowQuery, RefusesHostileSizes) {
  EXPECT_FALSE(parse_flow_query(std::string(300, '(') + "tcp" + std::string(300, ')')).has_value());
  std::string nots;
  for (int i = 0; i < 300; ++i) nots += "not ";
  EXPECT_FALSE(parse_flow_query(nots + "tcp").has_value());
  std::string chain = "port 1";
  for (int i = 0; i < 3000; ++i) chain += " or 2";
  EXPECT_FALSE(parse_flow_query(chain).has_value());
  EXPECT_TRUE(parse_flow_query(std::string(50, '(') + "tcp" + std::string(50, ')')).has_value());
}

TEST(FlowQuery, AndOrHaveEqualPrecedenceFromTheLeft) {
  // pcap-filter reads "a or b and c" as "(a or b) and c".
  auto query = parse_flow_query("tcp or udp and port 53");
  ASSERT_TRUE(query);
  const FlowQueryNode& root = query->nodes[static_cast<std::size_t>(query->root)];
  EXPECT_EQ(root.op, Op::kAnd);
  EXPECT_EQ(query->nodes[static_cast<std::size_t>(root.left)].op, Op::kOr);
}

TEST(FlowQuery, LeavesAfterVlanKnowTheirShift) {
  auto query = parse_flow_query("host 10.0.0.1 or vlan and vlan and port 80");
  ASSERT_TRUE(query);
  std::vector<int> shifts;
  for (const FlowQueryNode& node : query->nodes)
    if (node.op == Op::kKeys || node.op == Op::kVlan) shifts.push_back(node.tag_shift);
  EXPECT_EQ(shifts, (std::vector<int>{0, 0, 1, 2}));
}

TEST(FlowQuery, NetworksBecomeKeyRanges) {
  auto query = parse_flow_query("net 10.1.0.0/16");
  ASSERT_TRUE(query);
  const FlowQueryNode& leaf = query->nodes[static_cast<std::size_t>(query->root)];
  EXPECT_EQ(leaf.low.kind, FlowKeyKind::kIpv4);
  EXPECT_EQ(leaf.low.value[0], 10);
  EXPECT_EQ(leaf.low.value[1], 1);
  EXPECT_EQ(leaf.low.value[2], 0);
  EXPECT_EQ(leaf.high.value[2], 255);
  EXPECT_EQ(leaf.high.value[3], 255);
  auto masked = parse_flow_query("net 10.1.0.0 mask 255.255.0.0");
  ASSERT_TRUE(masked);
  EXPECT_EQ(masked->nodes[0].low, leaf.low);
  EXPECT_EQ(masked->nodes[0].high, leaf.high);
}

}  // namespace
}  // namespace pcap_ring
