#include "flows/packet_keys.h"

namespace pcap_ring {
namespace {

constexpr std::uint16_t kEthertypeIpv4 = 0x0800;
constexpr std::uint16_t kEthertypeIpv6 = 0x86dd;
constexpr std::uint16_t kEthertypeArp = 0x0806;
constexpr std::uint16_t kEthertypeRarp = 0x8035;
constexpr std::uint8_t kProtoTcp = 6;
constexpr std::uint8_t kProtoUdp = 17;
constexpr std::uint8_t kProtoSctp = 132;
// A longer chain of tags or IPv6 extension headers is not followed: the record is unknown.
constexpr int kMaxTags = 8;
constexpr int kMaxIpv6Headers = 8;

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }

bool has_ports(std::uint8_t proto) { return proto == kProtoTcp || proto == kProtoUdp || proto == kProtoSctp; }

class KeyReader {
 public:
  explicit KeyReader(std::vector<FlowKey>* keys) : keys_(keys) {}

  void unknown() { keys_->push_back(FlowKey::flag(FlowFlag::kUnknown)); }

  void ports(const std::uint8_t* l4, std::uint32_t len) {
    if (len < 4) return unknown();
    keys_->push_back(FlowKey::port(be16(l4)));
    keys_->push_back(FlowKey::port(be16(l4 + 2)));
  }

  // As BPF: addresses at fixed offsets, the protocol byte, and ports at (ip[0] & 0xf) * 4 when
  // the fragment offset is 0, whatever the version and header length fields say.
  void ipv4(const std::uint8_t* ip, std::uint32_t len) {
    if (len < 20) return unknown();
    keys_->push_back(FlowKey::flag(FlowFlag::kIpv4));
    keys_->push_back(FlowKey::address(FlowKeyKind::kIpv4, ip + 12));
    keys_->push_back(FlowKey::address(FlowKeyKind::kIpv4, ip + 16));
    std::uint8_t proto = ip[9];
    keys_->push_back(FlowKey::ip_proto(proto));
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
    keys_->push_back(FlowKey::flag(FlowFlag::kIpv6));
    keys_->push_back(FlowKey::address(FlowKeyKind::kIpv6, ip + 8));
    keys_->push_back(FlowKey::address(FlowKeyKind::kIpv6, ip + 24));
    std::uint8_t next = ip[6];
    std::uint32_t off = 40;
    for (int depth = 0; depth < kMaxIpv6Headers; ++depth) {
      keys_->push_back(FlowKey::ip_proto(next));
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
        keys_->push_back(FlowKey::ip_proto(next));
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
    keys_->push_back(FlowKey::address(FlowKeyKind::kIpv4, arp + 14));
    keys_->push_back(FlowKey::address(FlowKeyKind::kIpv4, arp + 24));
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
    keys_->push_back(FlowKey::flag(static_cast<FlowFlag>(depth_flag)));
    const std::uint8_t* l3 = frame + off;
    std::uint32_t len = caplen - off;
    if (type == kEthertypeIpv4) return ipv4(l3, len);
    if (type == kEthertypeIpv6) return ipv6(l3, len);
    if (type == kEthertypeArp || type == kEthertypeRarp) return arp(l3, len);
  }

  void raw(const std::uint8_t* frame, std::uint32_t caplen) {
    keys_->push_back(FlowKey::flag(FlowFlag::kTagDepth0));
    if (caplen < 1) return unknown();
    int version = frame[0] >> 4;
    if (version == 4) return ipv4(frame, caplen);
    if (version == 6) return ipv6(frame, caplen);
  }

 private:
  std::vector<FlowKey>* keys_;
};

}  // namespace

void append_packet_keys(int linktype, const std::uint8_t* frame, std::uint32_t caplen,
                        std::vector<FlowKey>* keys) {
  KeyReader reader(keys);
  switch (linktype) {
    case kLinktypeEthernet: return reader.tagged(frame, caplen, 12, 14);
    case kLinktypeLinuxSll: return reader.tagged(frame, caplen, 14, 16);
    case kLinktypeLinuxSll2: return reader.tagged(frame, caplen, 0, 20);
    case kLinktypeRaw: return reader.raw(frame, caplen);
    default: return reader.unknown();
  }
}

}  // namespace pcap_ring
