// What the flow index records about packets: keys of a few kinds, each with a value of a
// fixed size, ordered by kind then value (values are big-endian, so address order is numeric
// order and a network is a contiguous range of keys).
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>

namespace pcap_ring {

enum class FlowKeyKind : std::uint8_t {
  kFlag = 1,     // value: one FlowFlag
  kIpProto = 2,  // value: IPv4 protocol or IPv6 next header (every one of the header chain)
  kPort = 3,     // value: TCP/UDP/SCTP source or destination port, big-endian
  kIpv4 = 4,     // value: IPv4 address (IP source/destination, ARP sender/target)
  kIpv6 = 5,     // value: IPv6 address
};

enum class FlowFlag : std::uint8_t {
  // A record whose keys could not all be read (truncated, unknown link type, long header
  // chain): it may match any query.
  kUnknown = 0,
  kIpv4 = 1,  // the frame carries IPv4 (after its VLAN tags)
  kIpv6 = 2,
  // Number of VLAN tags before the network layer (0, 1, 2, 3 or more): pcap-filter's `vlan`
  // moves the offsets of everything after it, so a query needs to know the tag depths.
  kTagDepth0 = 3,
  kTagDepth1 = 4,
  kTagDepth2 = 5,
  kTagDepth3OrMore = 6,
};
inline constexpr int kFlowFlagCount = 7;
inline constexpr int kMaxTagDepthFlag = 3;

// Bytes of a key value for each kind; 0 for an unknown kind.
constexpr std::size_t flow_key_value_size(FlowKeyKind kind) {
  switch (kind) {
    case FlowKeyKind::kFlag: return 1;
    case FlowKeyKind::kIpProto: return 1;
    case FlowKeyKind::kPort: return 2;
    case FlowKeyKind::kIpv4: return 4;
    case FlowKeyKind::kIpv6: return 16;
  }
  return 0;
}

struct FlowKey {
  FlowKeyKind kind = FlowKeyKind::kFlag;
  std::array<std::uint8_t, 16> value{};  // first flow_key_value_size(kind) bytes used, rest 0

  auto operator<=>(const FlowKey&) const = default;

  static FlowKey flag(FlowFlag f) { return small(FlowKeyKind::kFlag, static_cast<std::uint8_t>(f)); }
  static FlowKey ip_proto(std::uint8_t proto) { return small(FlowKeyKind::kIpProto, proto); }
  static FlowKey port(std::uint16_t port) {
    FlowKey key{FlowKeyKind::kPort, {}};
    key.value[0] = static_cast<std::uint8_t>(port >> 8);
    key.value[1] = static_cast<std::uint8_t>(port);
    return key;
  }
  // From bytes as they appear in the packet (network order).
  static FlowKey address(FlowKeyKind kind, const std::uint8_t* bytes) {
    FlowKey key{kind, {}};
    for (std::size_t i = 0; i < flow_key_value_size(kind); ++i) key.value[i] = bytes[i];
    return key;
  }

 private:
  static FlowKey small(FlowKeyKind kind, std::uint8_t v) {
    FlowKey key{kind, {}};
    key.value[0] = v;
    return key;
  }
};

}  // namespace pcap_ring
