#include "capture/pcap_source.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/exit_codes.h"

namespace pcap_ring {
namespace {

struct Packet {
  NanoTime ts;
  std::uint32_t caplen;
  std::uint32_t origlen;
};

struct CollectingSink final : PacketSink {
  void on_packet(NanoTime ts, std::uint32_t caplen, std::uint32_t origlen, const std::uint8_t*) override {
    packets.push_back({ts, caplen, origlen});
  }
  std::vector<Packet> packets;
};

std::vector<Packet> read_all(PacketSource& source) {
  CollectingSink sink;
  for (int i = 0; i < 100; ++i) {
    DispatchStatus status = source.dispatch(sink, 0);
    EXPECT_NE(status, DispatchStatus::kError) << source.last_error();
    if (status != DispatchStatus::kOk) break;
  }
  return sink.packets;
}

constexpr NanoTime kSecond = 1795570466LL * kNanosPerSecond;
constexpr int kLinktypeEthernet = 1;

TEST(PcapSourceTest, ReadsMicrosecondPcapAsNanoseconds) {
  auto source = PcapSource::open_file(std::string(TEST_DATA_DIR) + "/three_udp_micro.pcap", "");
  EXPECT_EQ(source->linktype(), kLinktypeEthernet);
  EXPECT_EQ(source->snaplen(), 262144u);
  auto packets = read_all(*source);
  ASSERT_EQ(packets.size(), 3u);
  EXPECT_EQ(packets[0].ts, kSecond + 459208000);
  EXPECT_EQ(packets[1].ts, kSecond + 459215000);
  EXPECT_EQ(packets[2].ts, kSecond + 459218000);
  EXPECT_EQ(packets[0].caplen, 590u);
  EXPECT_EQ(packets[1].caplen, 1042u);
  EXPECT_EQ(packets[1].origlen, 1042u);
}

TEST(PcapSourceTest, ReadsPcapngWithNanosecondTimestamps) {
  auto source = PcapSource::open_file(std::string(TEST_DATA_DIR) + "/three_udp.pcapng", "");
  EXPECT_EQ(source->linktype(), kLinktypeEthernet);
  auto packets = read_all(*source);
  ASSERT_EQ(packets.size(), 3u);
  EXPECT_EQ(packets[0].ts, kSecond + 459208413);
  EXPECT_EQ(packets[1].ts, kSecond + 459215824);
  EXPECT_EQ(packets[2].ts, kSecond + 459218739);
}

TEST(PcapSourceTest, FilterSelectsPackets) {
  auto source = PcapSource::open_file(std::string(TEST_DATA_DIR) + "/three_udp.pcapng", "udp dst port 9999");
  EXPECT_EQ(read_all(*source).size(), 1u);
}

TEST(PcapSourceTest, ReplacesTheFilter) {
  auto source = PcapSource::open_file(std::string(TEST_DATA_DIR) + "/three_udp.pcapng", "udp dst port 9999");
  std::string error;
  ASSERT_TRUE(source->set_filter("icmp", &error)) << error;
  EXPECT_EQ(read_all(*source).size(), 2u);
  EXPECT_FALSE(source->set_filter("no such filter (", &error));
  EXPECT_FALSE(error.empty());
}

TEST(PcapSourceTest, StartupErrorsNameTheirCause) {
  try {
    PcapSource::open_file(std::string(TEST_DATA_DIR) + "/missing.pcap", "");
    FAIL() << "opened a missing file";
  } catch (const StartupError& e) {
    EXPECT_NE(std::string(e.what()).find("missing.pcap"), std::string::npos) << e.what();
  }
  EXPECT_THROW(PcapSource::open_file(std::string(TEST_DATA_DIR) + "/three_udp.pcapng", "not a filter ("),
               StartupError);
}

}  // namespace
}  // namespace pcap_ring
