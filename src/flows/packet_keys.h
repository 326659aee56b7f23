// Reads the flow keys of one captured frame: the link layer (Ethernet with any VLAN tags,
// Linux cooked capture, raw IP), then IPv4/IPv6/ARP addresses, the IP protocol (every header
// of an IPv6 chain) and TCP/UDP/SCTP ports. It reads the bytes where pcap-filter's compiled
// BPF reads them (ports at the IPv4 header length, no port for a non-first fragment), so a
// packet a filter matches always has the keys the filter names. Whatever it cannot read
// (a truncated header, an unknown link type) makes the record "unknown": it then matches
// every query.
#pragma once

#include <cstdint>
#include <vector>

#include "flows/flow_key.h"

namespace pcap_ring {

inline constexpr int kLinktypeEthernet = 1;
inline constexpr int kLinktypeRaw = 101;
inline constexpr int kLinktypeLinuxSll = 113;
inline constexpr int kLinktypeLinuxSll2 = 276;

// Reads the keys of one frame into a Sink, which has flag(FlowFlag), ip_proto(uint8_t),
// port(uint16_t), ipv4(const uint8_t*) and ipv6(const uint8_t*) (addresses as in the packet).
// A template, not an interface: the flow index builder calls it for every packet written, and
// per-key virtual calls would cost more than the work itself. Keys may repeat.
template <class Sink>
class PacketKeyReader {
 public:
  explicit PacketKeyReader(Sink* sink) : sink_(sink) {}

  // The frame starts with the link layer named by `linktype` (a LINKTYPE_ value).
  void frame(int linktype, const std::uint8_t* frame, std::uint32_t caplen) {
    switch (linktype) {
      case kLinktypeEthernet: return tagged(frame, caplen, 12, 14);
      case kLinktypeLinuxSll: return tagged(frame, caplen, 14, 16);
      case kLinktypeLinuxSll2: return tagged(frame, caplen, 0, 20);
      case kLinktypeRaw: return raw(frame, caplen);
      default: return unknown();
    }
  }

 private:
  static constexpr std::uint16_t kEthertypeIpv4 = 0x0800;
  static constexpr std::uint16_t kEthertypeIpv6 = 0x86dd;
  static constexpr std::uint16_t kEthertypeArp = 0x0806;
  static constexpr std::uint16_t kEthertypeRarp = 0x8035;
  static constexpr std::uint8_t kProtoTcp = 6;
  static constexpr std::uint8_t kProtoUdp = 17;
  static constexpr std::uint8_t kProtoSctp = 132;
  // A longer chain of tags or IPv6 extension headers is not followed: the record is unknown.
  static constexpr int kMaxTags = 8;
  static constexpr int kMaxIpv6Headers = 8;

  void unknown() { sink_->flag(FlowFlag::kUnknown); }

  void ports(const std::uint8_t* l4, std::uint32_t len) {
    if (len < 4) return unknown();
    sink_->port(be16(l4));
    sink_->port(be16(l4 + 2));
  }

  // As BPF: addresses at fixed offsets, the protocol byte, and ports at (ip[0] & 0xf) * 4 when
  // the fragment offset is 0, whatever the version and header length fields say.
  void ipv4(const std::uint8_t* ip, std::uint32_t len) {
    if (len < 20) return unknown();
    sink_->flag(FlowFlag::kIpv4);
    sink_->ipv4(ip + 12);
    sink_->ipv4(ip + 16);
    std::uint8_t proto = ip[9];
    sink_->ip_proto(proto);
    bool first_fragment = (be16(ip + 6) & 0x1fff) == 0;
    if (!has_ports(proto) || !first_fragment) return;
    std::uint32_t header = (ip[0] & 0x0fu) * 4;
    if (header > len) return unknown();
    ports(ip + header, len - header);
  }

  // Every next-header value of the chain is a key (BPF's `ip6 proto` reads the fixed header's,
  // and also the one after a fragment header); ports come from the transport header.
  void ipv6(const std::uint8_t* ip, std::uint32_t len) {
    if (len < 40) return unknown();
    sink_->flag(FlowFlag::kIpv6);
    sink_->ipv6(ip + 8);
    sink_->ipv6(ip + 24);
    std::uint8_t next = ip[6];
    std::uint32_t off = 40;
    for (int depth = 0; depth < kMaxIpv6Headers; ++depth) {
      sink_->ip_proto(next);
      if (has_ports(next)) return ports(ip + off, len - off);
      std::uint32_t header = 0;
      bool later_fragment = false;
      switch (next) {
        case 0: case 43: case 60:  // hop-by-hop, routing, destination options
          if (off + 2 > len) return unknown();
          header = (ip[off + 1] + 1u) * 8;
          break;
        case 44:  // fragment
          if (off + 8 > len) return unknown();
          header = 8;
          later_fragment = (be16(ip + off + 2) & 0xfff8) != 0;
          break;
        case 51:  // authentication header
          if (off + 2 > len) return unknown();
          header = (ip[off + 1] + 2u) * 4;
          break;
        default:  // ICMPv6, ESP, no next header, or a protocol without ports
          return;
      }
      next = ip[off];
      if (later_fragment) {  // no transport header here: its protocol only
        sink_->ip_proto(next);
        return;
      }
      off += header;
      if (off > len) return unknown();
    }
    unknown();
  }

  // BPF's `host` also matches ARP and RARP, at the sender and target protocol addresses of
  // Ethernet/IPv4 ARP (fixed offsets, whatever the length fields say).
  void arp(const std::uint8_t* arp, std::uint32_t len) {
    if (len < 28) return unknown();
    sink_->ipv4(arp + 14);
    sink_->ipv4(arp + 24);
  }

  // The network layer named by the type at `type_at`, starting at `payload_at` after any
  // VLAN tags.
  void tagged(const std::uint8_t* frame, std::uint32_t caplen, std::uint32_t type_at, std::uint32_t payload_at) {
    if (type_at + 2 > caplen || payload_at > caplen) return unknown();
    std::uint16_t type = be16(frame + type_at);
    std::uint32_t off = payload_at;
    int tags = 0;
    while (type == 0x8100 || type == 0x88a8 || type == 0x9100) {
      if (++tags > kMaxTags || off + 4 > caplen) return unknown();
      type = be16(frame + off + 2);
      off += 4;
    }
    int depth_flag = static_cast<int>(FlowFlag::kTagDepth0) + (tags < kMaxTagDepthFlag ? tags : kMaxTagDepthFlag);
    sink_->flag(static_cast<FlowFlag>(depth_flag));
    const std::uint8_t* l3 = frame + off;
    std::uint32_t len = caplen - off;
    if (type == kEthertypeIpv4) return ipv4(l3, len);
    if (type == kEthertypeIpv6) return ipv6(l3, len);
    if (type == kEthertypeArp || type == kEthertypeRarp) return arp(l3, len);
  }

  void raw(const std::uint8_t* frame, std::uint32_t caplen) {
    sink_->flag(FlowFlag::kTagDepth0);
    if (caplen < 1) return unknown();
    int version = frame[0] >> 4;
    if (version == 4) return ipv4(frame, caplen);
    if (version == 6) return ipv6(frame, caplen);
  }

  static std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }
  static bool has_ports(std::uint8_t proto) {
    return proto == kProtoTcp || proto == kProtoUdp || proto == kProtoSctp;
  }

  Sink* sink_;
};

// Appends the keys of the frame (possibly with duplicates) to *keys.
void append_packet_keys(int linktype, const std::uint8_t* frame, std::uint32_t caplen,
                        std::vector<FlowKey>* keys);

}  // namespace pcap_ring
