// The flow index against the real filter: random capture files of random traffic and random
// queries from the index's grammar. For every packet libpcap's compiled BPF matches, the
// block holding it must be a candidate; a miss would make `extract` lose packets.
#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <random>

#include "flows/flow_index.h"
#include "flows/flow_index_builder.h"
#include "flows/flow_query.h"
#include "flows/flow_test_frames.h"
#include "flows/packet_keys.h"

namespace pcap_ring {
namespace {

using testing::FrameSpec;
using testing::TestPacket;

struct PcapCloser {
  void operator()(pcap_t* p) const { pcap_close(p); }
};

std::string ipv4_text(int host) { return "10.0." + std::to_string(host / 8) + "." + std::to_string(host % 8 + 1); }
std::array<std::uint8_t, 16> ipv4_bytes(int host) {
  return testing::v4(10, 0, static_cast<std::uint8_t>(host / 8), static_cast<std::uint8_t>(host % 8 + 1));
}
std::string ipv6_text(int host) { return "2001:db8::" + std::to_string(host + 1); }

const std::uint16_t kPorts[] = {22, 53, 80, 443, 8080, 40000, 40001};
const std::uint8_t kProtos[] = {6, 17, 132, 1, 58, 47};

class TrafficGenerator {
 public:
  explicit TrafficGenerator(std::uint32_t seed) : rng_(seed) {}

  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  bool chance(int percent) { return pick(100) < percent; }

  TestPacket packet(NanoTime time) {
    FrameSpec s;
    int depth = chance(70) ? 0 : (chance(60) ? 1 : (chance(80) ? 2 : 3));
    for (int i = 0; i < depth; ++i) s.tags.push_back(i == 0 && depth > 1 ? 0x88a8 : 0x8100);
    int kind = pick(100);
    s.network = kind < 55 ? FrameSpec::Network::kIpv4
                : kind < 85 ? FrameSpec::Network::kIpv6
                : kind < 93 ? FrameSpec::Network::kArp
                            : FrameSpec::Network::kOther;
    bool v6 = s.network == FrameSpec::Network::kIpv6;
    s.src = v6 ? testing::v6(static_cast<std::uint16_t>(pick(12) + 1)) : ipv4_bytes(pick(24));
    s.dst = v6 ? testing::v6(static_cast<std::uint16_t>(pick(12) + 1)) : ipv4_bytes(pick(24));
    s.proto = kProtos[pick(6)];
    if (v6 && s.proto == 1) s.proto = 58;
    s.sport = kPorts[pick(7)];
    s.dport = kPorts[pick(7)];
    s.later_fragment = chance(5);
    s.ipv6_fragment = v6 && (s.later_fragment || chance(5));
    s.ipv6_hop_by_hop = v6 && chance(10);
    s.payload = static_cast<std::size_t>(pick(40));
    if (chance(15)) s.ipv4_total_length = chance(50) ? 0x0800 : 0x86dd;
    TestPacket p{time, testing::make_frame(s)};
    if (chance(truncate_percent)) p.caplen = static_cast<std::uint32_t>(pick(static_cast<int>(p.frame.size())) + 1);  // snaplen
    return p;
  }

  std::string leaf(bool allow_bare) {
    switch (pick(allow_bare ? 13 : 12)) {
      case 0: return "host " + ipv4_text(pick(26));
      case 1: return std::string(chance(50) ? "src" : "dst") + " host " + ipv4_text(pick(24));
      case 2: return "host " + ipv6_text(pick(14));
      case 3: return "net 10.0." + std::to_string(pick(3)) + ".0/" + std::to_string(22 + pick(10));
      case 4: return "port " + std::to_string(kPorts[pick(7)]);
      case 5: return std::string(chance(50) ? "tcp" : "udp") + " port " + std::to_string(kPorts[pick(7)]);
      case 6: return std::string(chance(50) ? "src" : "dst") + " port " + std::to_string(kPorts[pick(7)]);
      case 7: {
        const char* protos[] = {"tcp", "udp", "icmp", "icmp6", "sctp", "ip", "ip6"};
        return protos[pick(7)];
      }
      case 8: return std::string(chance(50) ? "ip" : "ip6") + " proto " + std::to_string(kProtos[pick(6)]);
      case 9: return "proto " + std::to_string(kProtos[pick(6)]);
      case 10: return chance(50) ? "vlan" : "vlan 100";
      case 11: return "ip6 net 2001:db8::/" + std::to_string(120 + pick(9));
      default: return "host " + ipv4_text(pick(24)) + " or " + ipv4_text(pick(24));  // inherited
    }
  }

  std::string expression(int depth) {
    if (depth == 0 || chance(35)) return leaf(true);
    std::string left = expression(depth - 1);
    std::string right = expression(depth - 1);
    int form = pick(6);
    if (form == 0) return "not " + left;
    if (form == 1) return "(" + left + ") and (" + right + ")";
    if (form == 2) return "(" + left + ") or (" + right + ")";
    if (form == 3) return left + " and " + right;  // pcap-filter's own precedence
    if (form == 4) return "! (" + left + ") || " + right;
    return left + " or " + right;
  }

  int truncate_percent = 5;  // records cut by a snaplen anywhere, headers included
  // Packets that repeat the one before (as a flow's packets do), some with one byte changed
  // where the index reads its keys: the builder skips reading a repeated packet's keys.
  int repeat_percent = 0;

 private:
  std::mt19937 rng_;
};

struct IndexedFile {
  std::vector<TestPacket> packets;
  std::vector<std::uint64_t> offsets;
  FlowIndex index;
  std::vector<std::size_t> block_of;  // per packet
};

// The Ethernet frame as another link type would carry it: raw IP (IP packets only) or Linux
// cooked capture (the ethertype becomes the protocol field). False when it has no such form.
bool relink(int linktype, TestPacket* p) {
  if (linktype == kLinktypeEthernet) return true;
  std::uint32_t caplen = p->caplen ? p->caplen : static_cast<std::uint32_t>(p->frame.size());
  if (caplen < 14) return false;
  std::vector<std::uint8_t> frame;
  if (linktype == kLinktypeRaw) {
    std::uint16_t type = static_cast<std::uint16_t>((p->frame[12] << 8) | p->frame[13]);
    if (type != 0x0800 && type != 0x86dd) return false;
    frame.assign(p->frame.begin() + 14, p->frame.end());
    p->caplen = p->caplen ? p->caplen - 14 : 0;
  } else {
    frame = {0, 0, 0, 1, 0, 6, 2, 2, 2, 2, 2, 2, 0, 0};
    frame.insert(frame.end(), p->frame.begin() + 12, p->frame.end());
    p->caplen = p->caplen ? p->caplen + 2 : 0;
  }
  if (p->caplen == 0 && caplen != p->frame.size()) return false;
  p->frame = std::move(frame);
  return true;
}

IndexedFile make_indexed_file(TrafficGenerator& gen, int count, FileFormat format, int linktype = kLinktypeEthernet) {
  IndexedFile f;
  NanoTime t = 1'700'000'000LL * kNanosPerSecond;
  while (f.packets.size() < static_cast<std::size_t>(count)) {
    t += gen.pick(20) * 1'000'000;  // sometimes crosses a 100 ms block span
    TestPacket p = gen.packet(t);
    if (!f.packets.empty() && gen.chance(gen.repeat_percent)) {
      p = f.packets.back();
      p.time = t;
      const std::size_t changed[] = {50, 33, 37, 23, 21, 14, 12};  // payload, address, port, protocol...
      std::size_t at = changed[gen.pick(7)];
      if (at < p.frame.size()) p.frame[at] = static_cast<std::uint8_t>(p.frame[at] + 1 + gen.pick(200));
    }
    if (relink(linktype, &p)) f.packets.push_back(std::move(p));
  }
  StreamParams params;
  params.format = format;
  params.linktype = linktype;
  auto file = testing::make_capture(params, f.packets, &f.offsets);
  FlowIndexBuilder builder;
  std::size_t piece = static_cast<std::size_t>(gen.pick(4000) + 1);
  for (std::size_t at = 0; at < file.size(); at += piece) builder.feed(file.data() + at, std::min(piece, file.size() - at));
  auto bytes = builder.finish();
  std::string error;
  EXPECT_TRUE(FlowIndex::parse(bytes.data(), bytes.size(), &f.index, &error)) << error;
  std::size_t block = 0;
  for (std::uint64_t offset : f.offsets) {
    while (block < f.index.blocks().size() && f.index.blocks()[block].end <= offset) ++block;
    EXPECT_LT(block, f.index.blocks().size());
    EXPECT_GE(offset, f.index.blocks()[block].offset);
    f.block_of.push_back(block);
  }
  return f;
}

// Checks one filter; false when libpcap refuses it (the query is then not counted).
bool check_filter(const IndexedFile& f, const std::string& filter, double* candidate_fraction = nullptr,
                  int dlt = DLT_EN10MB) {
  std::unique_ptr<pcap_t, PcapCloser> dead(pcap_open_dead_with_tstamp_precision(dlt, 262144, PCAP_TSTAMP_PRECISION_NANO));
  bpf_program program{};
  if (pcap_compile(dead.get(), &program, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) return false;
  auto query = parse_flow_query(filter);
  EXPECT_TRUE(query.has_value()) << "refused: " << filter;
  if (!query) {
    pcap_freecode(&program);
    return true;
  }
  std::vector<bool> candidates = f.index.candidates(*query);
  for (std::size_t i = 0; i < f.packets.size(); ++i) {
    const TestPacket& p = f.packets[i];
    pcap_pkthdr header{};
    header.caplen = p.caplen ? p.caplen : static_cast<bpf_u_int32>(p.frame.size());
    header.len = static_cast<bpf_u_int32>(p.frame.size());
    if (pcap_offline_filter(&program, &header, p.frame.data()) != 0) {
      EXPECT_TRUE(candidates[f.block_of[i]]) << "filter '" << filter << "' matches packet " << i
                                             << " but its block " << f.block_of[i] << " is not a candidate";
    }
  }
  pcap_freecode(&program);
  if (candidate_fraction)
    *candidate_fraction = static_cast<double>(std::count(candidates.begin(), candidates.end(), true)) /
                          static_cast<double>(candidates.size());
  return true;
}

TEST(FlowIndexProperty, NoPacketTheFilterMatchesIsOutsideTheCandidates) {
  int compiled = 0;
  double fractions = 0;
  for (std::uint32_t seed = 1; seed <= 12; ++seed) {
    TrafficGenerator gen(seed);
    IndexedFile f = make_indexed_file(gen, 1500, seed % 2 ? FileFormat::kPcap : FileFormat::kPcapng);
    for (int q = 0; q < 60; ++q) {
      std::string filter = gen.expression(3);
      double fraction = 0;
      if (check_filter(f, filter, &fraction)) {
        ++compiled;
        fractions += fraction;
      }
      if (::testing::Test::HasFailure()) return;
    }
  }
  EXPECT_GT(compiled, 500);
  std::printf("%d random filters; on average %.0f%% of the blocks are candidates\n", compiled,
              100 * fractions / compiled);
}

TEST(FlowIndexProperty, RepeatedPacketsKeepTheirKeys) {
  int compiled = 0;
  for (std::uint32_t seed = 100; seed < 106; ++seed) {
    TrafficGenerator gen(seed);
    gen.repeat_percent = 70;
    IndexedFile f = make_indexed_file(gen, 1500, seed % 2 ? FileFormat::kPcap : FileFormat::kPcapng);
    for (int q = 0; q < 60; ++q) {
      if (check_filter(f, gen.expression(2))) ++compiled;
      if (::testing::Test::HasFailure()) return;
    }
  }
  EXPECT_GT(compiled, 250);
}

// After `vlan`, pcap-filter reads an untagged frame 4 bytes too far: here its IPv4 total
// length (0x0800) reads as the ethertype and its ports (2560, 1) as the destination 10.0.0.1.
TEST(FlowIndexProperty, LeavesAfterVlanReadUntaggedFramesShifted) {
  FrameSpec s;
  s.src = testing::v4(192, 168, 0, 1);
  s.dst = testing::v4(192, 168, 0, 2);
  s.sport = 2560;
  s.dport = 1;
  s.ipv4_total_length = 0x0800;
  IndexedFile f;
  f.packets.push_back({1'700'000'000LL * kNanosPerSecond, testing::make_frame(s)});
  StreamParams params;
  auto file = testing::make_capture(params, f.packets, &f.offsets);
  FlowIndexBuilder builder;
  builder.feed(file.data(), file.size());
  auto bytes = builder.finish();
  std::string error;
  ASSERT_TRUE(FlowIndex::parse(bytes.data(), bytes.size(), &f.index, &error)) << error;
  f.block_of = {0};
  double fraction = 0;
  ASSERT_TRUE(check_filter(f, "vlan or host 10.0.0.1", &fraction));
  EXPECT_EQ(fraction, 1.0);
  ASSERT_TRUE(check_filter(f, "host 10.0.0.1", &fraction));
  EXPECT_EQ(fraction, 0.0);
}

TEST(FlowIndexProperty, RawIpAndLinuxCookedCaptures) {
  int compiled = 0;
  for (std::uint32_t seed = 1; seed <= 6; ++seed) {
    TrafficGenerator gen(seed + 100);
    bool raw = seed % 2 == 0;
    IndexedFile f = make_indexed_file(gen, 800, FileFormat::kPcap, raw ? kLinktypeRaw : kLinktypeLinuxSll);
    for (int q = 0; q < 60; ++q) {
      std::string filter = gen.expression(3);
      if (check_filter(f, filter, nullptr, raw ? DLT_RAW : DLT_LINUX_SLL)) ++compiled;
      if (::testing::Test::HasFailure()) return;
    }
  }
  EXPECT_GT(compiled, 100);
}

TEST(FlowIndexProperty, NeedleQueriesSelectFewBlocks) {
  // 20,000 packets among 24 IPv4 hosts; one extra host appears in 0.5% of them.
  TrafficGenerator gen(99);
  gen.truncate_percent = 0;
  IndexedFile f;
  NanoTime t = 1'700'000'000LL * kNanosPerSecond;
  for (int i = 0; i < 20000; ++i) {
    t += 50'000;
    TestPacket p = gen.packet(t);
    if (gen.pick(1000) < 5) {
      FrameSpec s;
      s.src = testing::v4(172, 16, 0, 1);
      s.dst = ipv4_bytes(gen.pick(24));
      p.frame = testing::make_frame(s);
      p.caplen = 0;
    }
    f.packets.push_back(p);
  }
  StreamParams params;
  auto file = testing::make_capture(params, f.packets, &f.offsets);
  FlowIndexBuilder builder;
  builder.feed(file.data(), file.size());
  auto bytes = builder.finish();
  std::string error;
  ASSERT_TRUE(FlowIndex::parse(bytes.data(), bytes.size(), &f.index, &error)) << error;
  std::size_t block = 0;
  for (std::uint64_t offset : f.offsets) {
    while (f.index.blocks()[block].end <= offset) ++block;
    f.block_of.push_back(block);
  }
  double fraction = 1;
  ASSERT_TRUE(check_filter(f, "host 172.16.0.1", &fraction));
  double with_port = 1;
  ASSERT_TRUE(check_filter(f, "host 172.16.0.1 and tcp port 80", &with_port));
  std::printf("needle (0.5%% of packets): %.1f%% of %zu blocks are candidates (%.1f%% with a port); "
              "index %zu bytes for %zu bytes of capture\n",
              100 * fraction, f.index.blocks().size(), 100 * with_port, bytes.size(), file.size());
  EXPECT_LT(fraction, 0.15);
}

}  // namespace
}  // namespace pcap_ring
