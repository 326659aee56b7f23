// Frames and capture files for the flow index tests: Ethernet with VLAN tags, IPv4/IPv6
// (extension headers, fragments), ARP and other ethertypes, written with the product's own
// record encoder, plus hand-written byte-swapped pcap and pcapng files.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

#include "format/pcap_format.h"

namespace pcap_ring::testing {

struct FrameSpec {
  std::vector<std::uint16_t> tags;  // TPIDs, outermost first (0x8100, 0x88a8)
  enum class Network { kIpv4, kIpv6, kArp, kOther } network = Network::kIpv4;
  std::array<std::uint8_t, 16> src{};
  std::array<std::uint8_t, 16> dst{};
  std::uint8_t proto = 6;
  std::uint16_t sport = 1234;
  std::uint16_t dport = 80;
  bool later_fragment = false;   // a non-first fragment (IPv4 offset, IPv6 fragment header)
  bool ipv6_fragment = false;    // an IPv6 fragment header (first fragment unless later_fragment)
  bool ipv6_hop_by_hop = false;  // an IPv6 hop-by-hop options header before the rest
  std::size_t payload = 20;
  // IPv4 total length field (not checked by anything): 0x0800 or 0x86dd there looks like an
  // ethertype to a filter that reads 4 bytes too far (after `vlan` on an untagged frame).
  std::uint16_t ipv4_total_length = 0;
};

inline std::array<std::uint8_t, 16> v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  return {a, b, c, d};
}
inline std::array<std::uint8_t, 16> v6(std::uint16_t last, std::uint16_t first = 0x2001) {
  std::array<std::uint8_t, 16> a{};
  a[0] = static_cast<std::uint8_t>(first >> 8);
  a[1] = static_cast<std::uint8_t>(first);
  a[2] = 0x0d;
  a[3] = 0xb8;
  a[14] = static_cast<std::uint8_t>(last >> 8);
  a[15] = static_cast<std::uint8_t>(last);
  return a;
}

inline void push16(std::vector<std::uint8_t>* f, std::uint16_t v) {
  f->push_back(static_cast<std::uint8_t>(v >> 8));
  f->push_back(static_cast<std::uint8_t>(v));
}

inline void push_transport(std::vector<std::uint8_t>* f, const FrameSpec& s) {
  if (s.proto == 6 || s.proto == 17 || s.proto == 132) {
    push16(f, s.sport);
    push16(f, s.dport);
  }
  f->insert(f->end(), s.payload, 0x5a);
}

inline std::vector<std::uint8_t> make_frame(const FrameSpec& s) {
  std::vector<std::uint8_t> f(12, 0x02);  // destination and source MAC
  for (std::uint16_t tpid : s.tags) {
    push16(&f, tpid);
    push16(&f, 100);  // TCI: VLAN 100
  }
  if (s.network == FrameSpec::Network::kIpv4) {
    push16(&f, 0x0800);
    std::uint8_t header[20] = {0x45, 0, static_cast<std::uint8_t>(s.ipv4_total_length >> 8),
                               static_cast<std::uint8_t>(s.ipv4_total_length), 0, 1, 0, 0, 64, s.proto, 0, 0};
    if (s.later_fragment) header[7] = 185;  // offset 185 * 8
    std::memcpy(header + 12, s.src.data(), 4);
    std::memcpy(header + 16, s.dst.data(), 4);
    f.insert(f.end(), header, header + 20);
    if (!s.later_fragment) push_transport(&f, s);
    else f.insert(f.end(), s.payload, 0x5a);
  } else if (s.network == FrameSpec::Network::kIpv6) {
    push16(&f, 0x86dd);
    std::uint8_t first_next = s.ipv6_hop_by_hop ? 0 : (s.ipv6_fragment ? 44 : s.proto);
    std::uint8_t header[8] = {0x60, 0, 0, 0, 0, 0, first_next, 64};
    f.insert(f.end(), header, header + 8);
    f.insert(f.end(), s.src.begin(), s.src.end());
    f.insert(f.end(), s.dst.begin(), s.dst.end());
    if (s.ipv6_hop_by_hop) {
      std::uint8_t hop[8] = {static_cast<std::uint8_t>(s.ipv6_fragment ? 44 : s.proto), 0, 1, 4, 0, 0, 0, 0};
      f.insert(f.end(), hop, hop + 8);
    }
    if (s.ipv6_fragment) {
      std::uint8_t frag[8] = {s.proto, 0, static_cast<std::uint8_t>(s.later_fragment ? 0x05 : 0), 0, 0, 0, 0, 7};
      f.insert(f.end(), frag, frag + 8);
    }
    if (!s.later_fragment) push_transport(&f, s);
    else f.insert(f.end(), s.payload, 0x5a);
  } else if (s.network == FrameSpec::Network::kArp) {
    push16(&f, 0x0806);
    std::uint8_t arp[28] = {0, 1, 8, 0, 6, 4, 0, 1};
    std::memcpy(arp + 14, s.src.data(), 4);
    std::memcpy(arp + 24, s.dst.data(), 4);
    f.insert(f.end(), arp, arp + 28);
  } else {
    push16(&f, 0x88cc);  // LLDP
    f.insert(f.end(), s.payload, 0x11);
  }
  return f;
}

struct TestPacket {
  NanoTime time = 0;
  std::vector<std::uint8_t> frame;
  std::uint32_t caplen = 0;  // 0: the whole frame
};

// A capture file in host byte order through the product's encoder; *offsets gets each
// record's file offset.
inline std::vector<std::uint8_t> make_capture(const StreamParams& params, const std::vector<TestPacket>& packets,
                                              std::vector<std::uint64_t>* offsets = nullptr) {
  std::vector<std::uint8_t> file = encode_file_header(params);
  for (const TestPacket& p : packets) {
    auto caplen = static_cast<std::uint32_t>(p.caplen ? p.caplen : p.frame.size());
    std::size_t at = file.size();
    if (offsets) offsets->push_back(at);
    file.resize(at + record_size(params, caplen));
    encode_record(params, file.data() + at, p.time, caplen, static_cast<std::uint32_t>(p.frame.size()), p.frame.data());
  }
  return file;
}

inline void put_be32(std::vector<std::uint8_t>* out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<std::uint8_t>(v >> shift));
}
inline void put_be16(std::vector<std::uint8_t>* out, std::uint16_t v) { push16(out, v); }

// A big-endian (swapped on this little-endian machine) nanosecond pcap file.
inline std::vector<std::uint8_t> make_big_endian_pcap(const std::vector<TestPacket>& packets,
                                                      std::vector<std::uint64_t>* offsets = nullptr) {
  std::vector<std::uint8_t> f;
  put_be32(&f, kPcapMagicNano);
  put_be16(&f, 2);
  put_be16(&f, 4);
  put_be32(&f, 0);
  put_be32(&f, 0);
  put_be32(&f, 65535);
  put_be32(&f, 1);
  for (const TestPacket& p : packets) {
    if (offsets) offsets->push_back(f.size());
    put_be32(&f, static_cast<std::uint32_t>(p.time / 1'000'000'000));
    put_be32(&f, static_cast<std::uint32_t>(p.time % 1'000'000'000));
    put_be32(&f, static_cast<std::uint32_t>(p.frame.size()));
    put_be32(&f, static_cast<std::uint32_t>(p.frame.size()));
    f.insert(f.end(), p.frame.begin(), p.frame.end());
  }
  return f;
}

// A big-endian pcapng file: section header, one Ethernet interface (microseconds), packets.
inline std::vector<std::uint8_t> make_big_endian_pcapng(const std::vector<TestPacket>& packets,
                                                        std::vector<std::uint64_t>* offsets = nullptr) {
  std::vector<std::uint8_t> f;
  put_be32(&f, kPcapngSectionHeader);
  put_be32(&f, 28);
  put_be32(&f, kPcapngByteOrderMagic);
  put_be16(&f, 1);
  put_be16(&f, 0);
  put_be32(&f, 0xffffffff);
  put_be32(&f, 0xffffffff);
  put_be32(&f, 28);
  put_be32(&f, kPcapngInterfaceDescription);
  put_be32(&f, 20);
  put_be16(&f, 1);
  put_be16(&f, 0);
  put_be32(&f, 0);
  put_be32(&f, 20);
  for (const TestPacket& p : packets) {
    if (offsets) offsets->push_back(f.size());
    auto padded = static_cast<std::uint32_t>((p.frame.size() + 3) & ~std::size_t{3});
    std::uint32_t total = 32 + padded;
    auto micros = static_cast<std::uint64_t>(p.time / 1000);
    put_be32(&f, kPcapngEnhancedPacket);
    put_be32(&f, total);
    put_be32(&f, 0);
    put_be32(&f, static_cast<std::uint32_t>(micros >> 32));
    put_be32(&f, static_cast<std::uint32_t>(micros));
    put_be32(&f, static_cast<std::uint32_t>(p.frame.size()));
    put_be32(&f, static_cast<std::uint32_t>(p.frame.size()));
    f.insert(f.end(), p.frame.begin(), p.frame.end());
    f.insert(f.end(), padded - p.frame.size(), 0);
    put_be32(&f, total);
  }
  return f;
}

}  // namespace pcap_ring::testing
