// The flow index's size on a realistic synthetic mix: many concurrent flows between many
// clients and servers (a tenth IPv6), server ports mostly 443/80/53, packets averaging a few
// hundred bytes (ACKs, full frames, mid-size). The target is under 5% of the capture.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>

#include "flows/flow_index.h"
#include "flows/flow_index_builder.h"
#include "flows/flow_query.h"
#include "flows/flow_test_frames.h"

namespace pcap_ring {
namespace {

using testing::FrameSpec;

struct Flow {
  FrameSpec spec;
};

class RealisticMix {
 public:
  explicit RealisticMix(std::uint32_t seed) : rng_(seed) {
    for (int i = 0; i < 3000; ++i) flows_.push_back(new_flow());
  }

  std::vector<std::uint8_t> next_frame() {
    if (pick(100) < 3) flows_[static_cast<std::size_t>(pick(3000))] = new_flow();  // flows end, start
    FrameSpec s = flows_[static_cast<std::size_t>(pick(3000))].spec;
    if (pick(2) == 0) {  // the reply direction
      std::swap(s.src, s.dst);
      std::swap(s.sport, s.dport);
    }
    int size = pick(100);
    std::size_t headers = s.network == FrameSpec::Network::kIpv6 ? 14 + 40 + 4 : 14 + 20 + 4;
    s.payload = size < 55 ? 8 : size < 75 ? 1514 - headers : static_cast<std::size_t>(200 + pick(400));
    return testing::make_frame(s);
  }

 private:
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  Flow new_flow() {
    Flow f;
    bool v6 = pick(10) == 0;
    f.spec.network = v6 ? FrameSpec::Network::kIpv6 : FrameSpec::Network::kIpv4;
    int client = pick(50000);
    int server = pick(2000);
    f.spec.src = v6 ? testing::v6(static_cast<std::uint16_t>(client), 0x2001)
                    : testing::v4(10, static_cast<std::uint8_t>(client >> 16), static_cast<std::uint8_t>(client >> 8),
                                  static_cast<std::uint8_t>(client));
    f.spec.dst = v6 ? testing::v6(static_cast<std::uint16_t>(server), 0x2a00)
                    : testing::v4(192, 0, static_cast<std::uint8_t>(server >> 8), static_cast<std::uint8_t>(server));
    int kind = pick(100);
    f.spec.proto = kind < 70 ? 6 : 17;
    f.spec.dport = kind < 50 ? 443 : kind < 70 ? 80 : kind < 80 ? 53 : static_cast<std::uint16_t>(1024 + pick(60000));
    f.spec.sport = static_cast<std::uint16_t>(32768 + pick(28000));
    return f;
  }

  std::mt19937 rng_;
  std::vector<Flow> flows_;
};

TEST(FlowIndexSize, RealisticMixStaysUnderFivePercent) {
  RealisticMix mix(7);
  StreamParams params;
  std::vector<std::uint8_t> file = encode_file_header(params);
  NanoTime t = 1'700'000'000LL * kNanosPerSecond;
  const int kPackets = 60000;
  FlowIndexBuilder builder;
  std::size_t fed = 0;
  for (int i = 0; i < kPackets; ++i) {
    t += 5'000;  // 200,000 packets per second
    auto frame = mix.next_frame();
    std::size_t at = file.size();
    auto caplen = static_cast<std::uint32_t>(frame.size());
    file.resize(at + record_size(params, caplen));
    encode_record(params, file.data() + at, t, caplen, caplen, frame.data());
    if (file.size() - fed > 65536) {  // fed as the ring writes: in pieces
      builder.feed(file.data() + fed, file.size() - fed);
      fed = file.size();
    }
  }
  builder.feed(file.data() + fed, file.size() - fed);
  auto bytes = builder.finish();

  // Building again from the whole file: the indexing rate, as `index --rebuild` sees it.
  auto start = std::chrono::steady_clock::now();
  FlowIndexBuilder again;
  for (std::size_t at = 0; at < file.size(); at += 1u << 20) again.feed(file.data() + at, std::min<std::size_t>(1u << 20, file.size() - at));
  EXPECT_EQ(again.finish(), bytes);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("indexing: %.0f MB/s, %.1f M packets/s\n", file.size() / seconds / 1e6, kPackets / seconds / 1e6);
  FlowIndex index;
  std::string error;
  ASSERT_TRUE(FlowIndex::parse(bytes.data(), bytes.size(), &index, &error)) << error;
  double ratio = static_cast<double>(bytes.size()) / static_cast<double>(file.size());
  auto query = parse_flow_query("host 192.0.0.7");  // one server among 2,000
  ASSERT_TRUE(query);
  auto candidates = index.candidates(*query);
  std::printf("realistic mix: %d packets, %zu capture bytes (%.0f B/packet), index %zu bytes = %.2f%%; "
              "%zu blocks, %zu keys; one server host: %ld of %zu blocks\n",
              kPackets, file.size(), static_cast<double>(file.size()) / kPackets, bytes.size(), 100 * ratio,
              index.blocks().size(), index.key_count(),
              static_cast<long>(std::count(candidates.begin(), candidates.end(), true)), candidates.size());
  EXPECT_LT(ratio, 0.05);
}

}  // namespace
}  // namespace pcap_ring
