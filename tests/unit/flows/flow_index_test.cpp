#include "flows/flow_index.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>
#include <iterator>

#include "flows/flow_index_builder.h"
#include "flows/flow_index_format.h"
#include "flows/flow_test_frames.h"

namespace pcap_ring {
namespace {

namespace fmt = flow_format;

std::uint32_t crc(const std::uint8_t* data, std::size_t size) {
  return static_cast<std::uint32_t>(crc32(crc32(0L, Z_NULL, 0), data, static_cast<uInt>(size)));
}

// A well-formed header (valid checksums) around `body`.
std::vector<std::uint8_t> seal(std::uint32_t blocks, std::uint32_t keys, const std::vector<std::uint8_t>& body) {
  std::vector<std::uint8_t> out(fmt::kHeaderSize, 0);
  std::memcpy(out.data(), fmt::kMagic, 8);
  fmt::put_le<std::uint16_t>(out.data() + fmt::kVersionAt, fmt::kVersion);
  fmt::put_le<std::uint16_t>(out.data() + fmt::kHeaderSizeAt, fmt::kHeaderSize);
  fmt::put_le<std::uint32_t>(out.data() + fmt::kLinktypeAt, 1);
  fmt::put_le<std::uint32_t>(out.data() + fmt::kBlockCountAt, blocks);
  fmt::put_le<std::uint32_t>(out.data() + fmt::kKeyCountAt, keys);
  fmt::put_le<std::uint64_t>(out.data() + fmt::kBodySizeAt, body.size());
  fmt::put_le<std::uint32_t>(out.data() + fmt::kBodyCrcAt, crc(body.data(), body.size()));
  fmt::put_le<std::uint32_t>(out.data() + fmt::kHeaderCrcAt, crc(out.data(), fmt::kHeaderCrcAt));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

std::vector<std::uint8_t> varints(std::initializer_list<std::uint64_t> values) {
  std::vector<std::uint8_t> out;
  for (auto v : values) fmt::put_varint(&out, v);
  return out;
}

// One block: offset 24, 100 bytes, 2 records, first 1000 (zigzag 2000), span 5.
std::vector<std::uint8_t> one_block() { return varints({24, 100, 2, 2000, 5}); }

// Key of kind port 80 over block 0.
std::vector<std::uint8_t> port_key(std::uint8_t high = 0, std::uint8_t low = 80, std::uint64_t count = 1,
                                   std::uint64_t block = 0) {
  std::vector<std::uint8_t> out = {static_cast<std::uint8_t>(FlowKeyKind::kPort), high, low};
  fmt::put_varint(&out, count);
  fmt::put_varint(&out, block);
  return out;
}

std::string parse_error(const std::vector<std::uint8_t>& bytes) {
  FlowIndex index;
  std::string error;
  EXPECT_FALSE(FlowIndex::parse(bytes.data(), bytes.size(), &index, &error));
  EXPECT_TRUE(index.blocks().empty());
  return error;
}

std::vector<std::uint8_t> concat(std::vector<std::uint8_t> a, const std::vector<std::uint8_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(FlowIndex, ParsesAHandWrittenIndex) {
  auto bytes = seal(1, 1, concat(one_block(), port_key()));
  FlowIndex index;
  std::string error;
  ASSERT_TRUE(FlowIndex::parse(bytes.data(), bytes.size(), &index, &error)) << error;
  ASSERT_EQ(index.blocks().size(), 1u);
  EXPECT_EQ(index.blocks()[0].offset, 24u);
  EXPECT_EQ(index.blocks()[0].end, 124u);
  EXPECT_EQ(index.blocks()[0].first, 1000);
  EXPECT_EQ(index.blocks()[0].last, 1005);
  EXPECT_EQ(index.blocks()[0].records, 2u);
  EXPECT_EQ(index.blocks_with_keys(FlowKey::port(80), FlowKey::port(80)), std::vector<bool>{true});
  EXPECT_EQ(index.blocks_with_keys(FlowKey::port(81), FlowKey::port(90)), std::vector<bool>{false});
}

TEST(FlowIndex, ParsesTheFuzzSeed) {
  std::ifstream in(std::string(TEST_DATA_DIR) + "/../fuzz/corpus/flow_index_fuzz/two_blocks.flowindex", std::ios::binary);
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  FlowIndex index;
  std::string error;
  ASSERT_TRUE(FlowIndex::parse(bytes.data(), bytes.size(), &index, &error)) << error;
  ASSERT_EQ(index.blocks().size(), 2u);
  EXPECT_EQ(index.blocks()[1].offset, 224u);
  EXPECT_EQ(index.blocks()[1].first - index.blocks()[0].first, 200'000'000);
  EXPECT_EQ(index.key_count(), 6u);
  EXPECT_EQ(index.blocks_with_keys(FlowKey::port(80), FlowKey::port(80)), (std::vector<bool>{true, false}));
}

TEST(FlowIndex, RejectsDamage) {
  auto good = seal(1, 1, concat(one_block(), port_key()));
  EXPECT_NE(parse_error({good.begin(), good.begin() + 20}).find("shorter than its header"), std::string::npos);
  for (std::size_t cut = fmt::kHeaderSize; cut < good.size(); ++cut)
    EXPECT_FALSE(parse_error({good.begin(), good.begin() + static_cast<std::ptrdiff_t>(cut)}).empty());
  auto magic = good;
  magic[0] = 'X';
  EXPECT_NE(parse_error(magic).find("bad magic"), std::string::npos);
  auto flipped = good;
  flipped.back() ^= 1;
  EXPECT_NE(parse_error(flipped).find("body checksum"), std::string::npos);
  auto header = good;
  header[fmt::kBlockCountAt] = 2;
  EXPECT_NE(parse_error(header).find("header checksum"), std::string::npos);
  auto trailing = good;
  trailing.push_back(0);
  EXPECT_NE(parse_error(trailing).find("body of"), std::string::npos);
}

TEST(FlowIndex, RejectsInconsistentContentUnderValidChecksums) {
  auto body = concat(one_block(), port_key());
  EXPECT_FALSE(parse_error(seal(2, 1, body)).empty());  // counts too high
  EXPECT_NE(parse_error(seal(1, 2, body)).find("cut short"), std::string::npos);
  EXPECT_NE(parse_error(seal(1, 0, body)).find("after the key table"), std::string::npos);
  EXPECT_NE(parse_error(seal(1000000, 1, body)).find("counts beyond"), std::string::npos);
  // Too many records for the bytes, zero records, an offset past the largest file offset.
  EXPECT_NE(parse_error(seal(1, 0, varints({24, 100, 9, 0, 0}))).find("records in"), std::string::npos);
  EXPECT_NE(parse_error(seal(1, 0, varints({24, 100, 0, 0, 0}))).find("records in"), std::string::npos);
  EXPECT_NE(parse_error(seal(2, 0, concat(one_block(), varints({~std::uint64_t{0} >> 1, 100, 1, 0, 0}))))
                .find("beyond the largest"), std::string::npos);
  // Keys out of order or repeated, unknown kinds and flags.
  EXPECT_NE(parse_error(seal(1, 1, concat(one_block(), port_key(0, 80, 2, 0)))).find("block count"),
            std::string::npos);
  EXPECT_NE(parse_error(seal(1, 2, concat(concat(one_block(), port_key(0, 81)), port_key(0, 80))))
                .find("out of order"), std::string::npos);
  EXPECT_NE(parse_error(seal(1, 2, concat(concat(one_block(), port_key()), port_key()))).find("out of order"),
            std::string::npos);
  EXPECT_NE(parse_error(seal(1, 1, concat(one_block(), {9, 0, 1, 0}))).find("unknown kind"), std::string::npos);
  EXPECT_NE(parse_error(seal(1, 1, concat(one_block(), {1, 99, 1, 0}))).find("unknown flag"), std::string::npos);
  // A varint longer than 64 bits.
  EXPECT_FALSE(parse_error(seal(1, 0, concat(varints({24, 100, 2, 0}), std::vector<std::uint8_t>(11, 0xff))))
                   .empty());
}

TEST(FlowIndex, APostingBeyondTheBlockTableRulesNothingOut) {
  // Postings are decoded when a query reads them; one that names no block makes the query
  // keep every block of that index (sound), where ruling blocks out could lose packets.
  auto two_blocks = concat(one_block(), varints({0, 100, 2, 0, 5}));
  auto other_port = port_key(1, 0xBB, 1, 0);  // port 443
  auto bad = port_key(0, 80, 1, 5);
  auto bytes = seal(2, 2, concat(concat(two_blocks, bad), other_port));
  FlowIndex index;
  std::string error;
  ASSERT_TRUE(FlowIndex::parse(bytes.data(), bytes.size(), &index, &error)) << error;
  EXPECT_EQ(index.blocks_with_keys(FlowKey::port(80), FlowKey::port(80)), (std::vector<bool>{true, true}));
  EXPECT_EQ(index.blocks_with_keys(FlowKey::port(443), FlowKey::port(443)), (std::vector<bool>{true, false}));
}

TEST(FlowIndex, RejectsEverySingleByteChangeOfARealIndex) {
  std::vector<testing::TestPacket> packets;
  for (int i = 0; i < 40; ++i) {
    testing::FrameSpec s;
    s.src = testing::v4(10, 0, 0, static_cast<std::uint8_t>(i));
    packets.push_back({1'000'000'000LL * i, testing::make_frame(s)});
  }
  StreamParams params;
  auto file = testing::make_capture(params, packets);
  FlowIndexBuilder builder;
  builder.feed(file.data(), file.size());
  auto good = builder.finish();
  for (std::size_t i = 0; i < good.size(); ++i) {
    auto bad = good;
    bad[i] ^= 0x10;
    EXPECT_FALSE(parse_error(bad).empty()) << "byte " << i;
  }
}

}  // namespace
}  // namespace pcap_ring
