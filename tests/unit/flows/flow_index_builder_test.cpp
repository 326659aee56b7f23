#include "flows/flow_index_builder.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <limits>

#include "flows/flow_query.h"
#include "flows/flow_test_frames.h"
#include "support/test_support.h"

namespace pcap_ring {
namespace {

using testing::FrameSpec;
using testing::TestPacket;

constexpr NanoTime kStart = 1'700'000'000LL * kNanosPerSecond + 123'456'789;

// Packets 1 ms apart, each from host 10.0.0.(i % 7 + 1) to port 1000 + i % 5.
std::vector<TestPacket> sample_packets(int count, NanoTime spacing = 1'000'000) {
  std::vector<TestPacket> packets;
  for (int i = 0; i < count; ++i) {
    FrameSpec s;
    s.src = testing::v4(10, 0, 0, static_cast<std::uint8_t>(i % 7 + 1));
    s.dst = testing::v4(10, 0, 1, 1);
    s.dport = static_cast<std::uint16_t>(1000 + i % 5);
    s.payload = static_cast<std::size_t>(i % 50);
    packets.push_back({kStart + i * spacing, testing::make_frame(s)});
  }
  return packets;
}

FlowIndex parse_or_fail(const std::vector<std::uint8_t>& bytes) {
  FlowIndex index;
  std::string error;
  EXPECT_TRUE(FlowIndex::parse(bytes.data(), bytes.size(), &index, &error)) << error;
  return index;
}

std::vector<std::uint8_t> build(const std::vector<std::uint8_t>& file, std::size_t piece,
                                FlowIndexOptions options = {}) {
  FlowIndexBuilder builder(options);
  for (std::size_t at = 0; at < file.size(); at += piece)
    builder.feed(file.data() + at, std::min(piece, file.size() - at));
  EXPECT_FALSE(builder.failed()) << builder.error();
  return builder.finish();
}

// Every record is in exactly one block, blocks tile the records in order, and each block's
// times cover its records' times.
void expect_blocks_cover(const FlowIndex& index, const std::vector<std::uint64_t>& offsets,
                         const std::vector<TestPacket>& packets) {
  std::size_t record = 0;
  for (const FlowBlock& block : index.blocks()) {
    ASSERT_LT(record, offsets.size());
    EXPECT_EQ(block.offset, offsets[record]);
    for (std::uint32_t i = 0; i < block.records; ++i, ++record) {
      EXPECT_GE(packets[record].time / 1000, block.first / 1000);
      EXPECT_LE(packets[record].time / 1000, block.last / 1000 + 1);
    }
    if (record < offsets.size()) {
      EXPECT_EQ(block.end, offsets[record]);
    }
  }
  EXPECT_EQ(record, offsets.size());
}

// A record that spans two pieces is completed from the start of the next piece; records of
// 100 kB (more than the first 64 KiB taken) and pieces of several sizes give the same index.
TEST(FlowIndexBuilder, RecordsLongerThanAPieceGiveTheSameIndex) {
  std::vector<TestPacket> packets = sample_packets(40);
  for (std::size_t i = 0; i < packets.size(); i += 3) {
    FrameSpec s;
    s.src = testing::v4(10, 0, 2, static_cast<std::uint8_t>(i));
    s.dst = testing::v4(10, 0, 1, 1);
    s.payload = 100'000 + i;
    packets[i].frame = testing::make_frame(s);
  }
  StreamParams params;
  params.snaplen = 262144;
  std::vector<std::uint64_t> offsets;
  auto file = testing::make_capture(params, packets, &offsets);
  auto whole = build(file, file.size());
  for (std::size_t piece : {std::size_t{1000}, std::size_t{65536}, std::size_t{70001}, std::size_t{1} << 20}) {
    EXPECT_EQ(build(file, piece), whole) << "pieces of " << piece;
  }
  FlowIndex index = parse_or_fail(whole);
  expect_blocks_cover(index, offsets, packets);
}

class FlowIndexBuilderFormats : public ::testing::TestWithParam<std::tuple<FileFormat, TimestampPrecision>> {};

TEST_P(FlowIndexBuilderFormats, BlocksTileTheRecordsWhateverThePieceSize) {
  StreamParams params;
  params.format = std::get<0>(GetParam());
  params.precision = std::get<1>(GetParam());
  auto packets = sample_packets(100);
  std::vector<std::uint64_t> offsets;
  auto file = testing::make_capture(params, packets, &offsets);
  auto whole = build(file, file.size());
  EXPECT_EQ(build(file, 1), whole);  // records spanning every feed() call
  EXPECT_EQ(build(file, 77), whole);
  FlowIndex index = parse_or_fail(whole);
  EXPECT_EQ(index.linktype(), 1);
  expect_blocks_cover(index, offsets, packets);
  EXPECT_EQ(index.blocks().size(), 7u);  // 16 records per block
  auto host = parse_flow_query("host 10.0.0.3");
  ASSERT_TRUE(host);
  auto candidates = index.candidates(*host);
  EXPECT_EQ(std::count(candidates.begin(), candidates.end(), true), 6);  // records 96..99 lack it
  auto absent = parse_flow_query("host 10.9.9.9 or port 9");
  ASSERT_TRUE(absent);
  candidates = index.candidates(*absent);
  EXPECT_EQ(std::count(candidates.begin(), candidates.end(), true), 0);
}

INSTANTIATE_TEST_SUITE_P(All, FlowIndexBuilderFormats,
                         ::testing::Combine(::testing::Values(FileFormat::kPcap, FileFormat::kPcapng),
                                            ::testing::Values(TimestampPrecision::kNano, TimestampPrecision::kMicro)));

TEST(FlowIndexBuilder, BigEndianFilesAreRead) {
  auto packets = sample_packets(40);
  for (bool pcapng : {false, true}) {
    std::vector<std::uint64_t> offsets;
    auto file = pcapng ? testing::make_big_endian_pcapng(packets, &offsets)
                       : testing::make_big_endian_pcap(packets, &offsets);
    FlowIndex index = parse_or_fail(build(file, 3));
    expect_blocks_cover(index, offsets, packets);
    auto query = parse_flow_query("host 10.0.0.2 and port 1001");
    ASSERT_TRUE(query);
    auto candidates = index.candidates(*query);
    EXPECT_GT(std::count(candidates.begin(), candidates.end(), true), 0) << "pcapng " << pcapng;
  }
}

TEST(FlowIndexBuilder, BlocksAreCutByTimeSpan) {
  StreamParams params;
  auto packets = sample_packets(10, 60'000'000);  // 60 ms apart: two per 100 ms block
  auto file = testing::make_capture(params, packets);
  FlowIndex index = parse_or_fail(build(file, file.size()));
  ASSERT_EQ(index.blocks().size(), 5u);
  for (const FlowBlock& block : index.blocks()) {
    EXPECT_EQ(block.records, 2u);
    EXPECT_EQ(block.last - block.first, 60'000'000);
  }
  FlowIndexOptions one_per_block{1, 0};
  EXPECT_EQ(parse_or_fail(build(file, 5, one_per_block)).blocks().size(), 10u);
}

TEST(FlowIndexBuilder, IndexesOnlyCompleteRecordsAndStopsAtGarbage) {
  StreamParams params;
  auto packets = sample_packets(20);
  std::vector<std::uint64_t> offsets;
  auto file = testing::make_capture(params, packets, &offsets);
  std::vector<std::uint8_t> cut(file.begin(), file.end() - 5);  // the last record is partial
  FlowIndex partial = parse_or_fail(build(cut, 1000));
  EXPECT_EQ(partial.blocks().back().end, offsets.back());
  auto garbage = file;
  garbage.resize(offsets[10] + 16);
  std::fill(garbage.begin() + static_cast<std::ptrdiff_t>(offsets[10]), garbage.end(), 0xff);  // huge lengths
  garbage.insert(garbage.end(), file.begin() + static_cast<std::ptrdiff_t>(offsets[11]), file.end());
  FlowIndex stopped = parse_or_fail(build(garbage, 64));
  EXPECT_EQ(stopped.blocks().back().end, offsets[10]);
}

TEST(FlowIndexBuilder, PcapngBlocksEndAtOtherBlocks) {
  StreamParams params;
  params.format = FileFormat::kPcapng;
  auto packets = sample_packets(20);
  std::vector<std::uint64_t> offsets;
  auto file = testing::make_capture(params, packets, &offsets);
  std::uint64_t first_part = file.size();
  auto trailer = encode_file_trailer(params, kStart, 20, 0);  // a statistics block mid-file
  file.insert(file.end(), trailer.begin(), trailer.end());
  std::uint64_t shift = file.size();
  auto more = testing::make_capture(params, packets);
  auto header_size = encode_file_header(params).size();
  file.insert(file.end(), more.begin() + static_cast<std::ptrdiff_t>(header_size), more.end());
  FlowIndex index = parse_or_fail(build(file, 50));
  ASSERT_EQ(index.blocks().size(), 4u);  // 16 + 4, then again after the statistics block
  EXPECT_EQ(index.blocks()[1].end, first_part);
  EXPECT_EQ(index.blocks()[2].offset, shift);
  EXPECT_EQ(index.blocks()[3].end, file.size());
}

TEST(FlowIndexBuilder, SimplePacketBlocksHaveNoTimeSoTheirBlockCoversEveryWindow) {
  StreamParams params;
  params.format = FileFormat::kPcapng;
  auto packets = sample_packets(3);
  auto file = testing::make_capture(params, packets);
  const std::vector<std::uint8_t>& frame = packets[0].frame;
  auto padded = static_cast<std::uint32_t>((frame.size() + 3) & ~std::size_t{3});
  std::uint32_t words[3] = {3, 16 + padded, static_cast<std::uint32_t>(frame.size())};
  std::uint64_t spb_at = file.size();
  file.insert(file.end(), reinterpret_cast<std::uint8_t*>(words), reinterpret_cast<std::uint8_t*>(words) + 12);
  file.insert(file.end(), frame.begin(), frame.end());
  file.resize(file.size() + (padded - frame.size()), 0);
  file.insert(file.end(), reinterpret_cast<std::uint8_t*>(&words[1]), reinterpret_cast<std::uint8_t*>(&words[1]) + 4);
  FlowIndex index = parse_or_fail(build(file, 7));
  ASSERT_EQ(index.blocks().size(), 1u);
  EXPECT_EQ(index.blocks()[0].records, 4u);
  EXPECT_EQ(index.blocks()[0].end, file.size());
  EXPECT_GT(file.size(), spb_at);
  EXPECT_EQ(index.blocks()[0].first, std::numeric_limits<NanoTime>::min());
  EXPECT_EQ(index.blocks()[0].last, std::numeric_limits<NanoTime>::max());
}

TEST(FlowIndexBuilder, FinishCanBeCalledAgainAfterMoreBytes) {
  StreamParams params;
  auto file = testing::make_capture(params, sample_packets(20));
  FlowIndexBuilder builder;
  builder.feed(file.data(), 300);
  auto early = parse_or_fail(builder.finish());
  builder.feed(file.data() + 300, file.size() - 300);
  auto late = parse_or_fail(builder.finish());
  EXPECT_LT(early.blocks().size(), late.blocks().size());
  EXPECT_EQ(builder.records(), 20u);
}

TEST(FlowIndexBuilder, RefusesBytesThatAreNotACapture) {
  FlowIndexBuilder builder;
  const std::uint8_t text[] = "hello, this is not a pcap file at all";
  builder.feed(text, sizeof text);
  EXPECT_TRUE(builder.failed());
  EXPECT_NE(builder.error().find("not a pcap or pcapng file"), std::string::npos) << builder.error();
}

TEST(FlowIndexBuilder, UnknownLinkTypeMakesEveryBlockACandidate) {
  StreamParams params;
  params.linktype = 105;  // 802.11
  auto file = testing::make_capture(params, sample_packets(40));
  FlowIndex index = parse_or_fail(build(file, file.size()));
  auto query = parse_flow_query("host 1.2.3.4");
  ASSERT_TRUE(query);
  auto candidates = index.candidates(*query);
  EXPECT_EQ(std::count(candidates.begin(), candidates.end(), true), static_cast<long>(index.blocks().size()));
}

TEST(FlowIndexBuilder, BuildsFromADescriptor) {
  testing::TempDir dir;
  StreamParams params;
  params.format = FileFormat::kPcapng;
  auto file = testing::make_capture(params, sample_packets(50));
  std::string path = dir.file("a.pcapng");
  testing::write_text_file(path, std::string(file.begin(), file.end()));
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  std::vector<std::uint8_t> index;
  std::string error;
  EXPECT_TRUE(build_flow_index_fd(fd, &index, &error)) << error;
  close(fd);
  EXPECT_EQ(index, build(file, file.size()));

  std::string empty = dir.file("empty.pcap");
  testing::write_text_file(empty, "");
  fd = open(empty.c_str(), O_RDONLY | O_CLOEXEC);
  EXPECT_FALSE(build_flow_index_fd(fd, &index, &error));
  EXPECT_NE(error.find("shorter than a capture file header"), std::string::npos) << error;
  close(fd);
}

}  // namespace
}  // namespace pcap_ring
