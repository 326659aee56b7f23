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

// Appends the keys of the frame (possibly with duplicates) to *keys.
void append_packet_keys(int linktype, const std::uint8_t* frame, std::uint32_t caplen,
                        std::vector<FlowKey>* keys);

}  // namespace pcap_ring
