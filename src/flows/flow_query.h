// The part of a pcap-filter expression the flow index can answer, as a small expression tree:
// host/src host/dst host (IPv4, IPv6), net/src net/dst net (CIDR, partial dotted IPv4,
// "net X mask Y"), port/src port/dst port (with tcp/udp/sctp), tcp/udp/sctp/icmp/icmp6,
// "ip proto N"/"ip6 proto N"/"proto N", ip/ip6, vlan [ID], a bare address or number that
// inherits the qualifiers before it (as pcap-filter does), combined with and/or/not/&&/||/!
// and parentheses, with pcap-filter's precedence (not first; and/or equal, left to right).
// Anything else gives nullopt: the caller then reads every packet. An answer is always an
// over-approximation of the real filter, never a miss: direction (src/dst) is ignored,
// `tcp port 80` becomes "tcp and port 80", and so on. docs/flow-index.md has the reasoning.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "flows/flow_key.h"

namespace pcap_ring {

struct FlowQueryNode {
  enum class Op : std::uint8_t {
    kAll,   // every packet (an empty filter; the operand of a `not`)
    kAnd,   // left and right
    kOr,    // left or right
    kNot,   // not left
    kKeys,  // a packet with a key in [low, high] (same kind) at tag depth `tag_shift`
    kVlan,  // pcap-filter's `vlan` keyword at tag depth `tag_shift`
  };
  Op op = Op::kAll;
  int left = -1;
  int right = -1;
  FlowKey low;
  FlowKey high;
  // How many `vlan` keywords came before this leaf in the expression: pcap-filter reads the
  // leaf 4 bytes further into the frame for each.
  int tag_shift = 0;
};

struct FlowQuery {
  std::vector<FlowQueryNode> nodes;
  int root = -1;
};

std::optional<FlowQuery> parse_flow_query(const std::string& filter);

}  // namespace pcap_ring
