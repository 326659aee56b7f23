#include "flows/flow_index.h"

#include <gtest/gtest.h>
#include <xxhash.h>

#include <cstring>
#include <fstream>
#include <iterator>

#include "flows/flow_index_builder.h"
#include "flows/flow_index_format.h"
#include "flows/flow_test_frames.h"

namespace pcap_ring {
namespace {

namespace fmt = flow_format;

using Bytes = std::vector<std::uint8_t>;

// A well-formed header (valid checksums) around a block table and the rest of the body.
Bytes seal(std::uint32_t blocks, std::uint32_t keys, const Bytes& table, const Bytes& rest) {
  Bytes body = table;
  body.insert(body.end(), rest.begin(), rest.end());
  Bytes out(fmt::kHeaderSize, 0);
  std::memcpy(out.data(), fmt::kMagic, 8);
  fmt::put_le<std::uint16_t>(out.data() + fmt::kVersionAt, fmt::kVersion);
  fmt::put_le<std::uint16_t>(out.data() + fmt::kHeaderSizeAt, fmt::kHeaderSize);
  fmt::put_le<std::uint32_t>(out.data() + fmt::kLinktypeAt, 1);
  fmt::put_le<std::uint32_t>(out.data() + fmt::kBlockCountAt, blocks);
  fmt::put_le<std::uint32_t>(out.data() + fmt::kKeyCountAt, keys);
  fmt::put_le<std::uint64_t>(out.data() + fmt::kBodySizeAt, body.size());
  fmt::put_le<std::uint64_t>(out.data() + fmt::kBlockTableSizeAt, table.size());
  fmt::put_le<std::uint64_t>(out.data() + fmt::kBodyHashAt, XXH3_64bits(body.data(), body.size()));
  fmt::put_le<std::uint64_t>(out.data() + fmt::kHeaderHashAt, XXH3_64bits(out.data(), fmt::kHeaderHashAt));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Bytes varints(std::initializer_list<std::uint64_t> values) {
  Bytes out;
  for (auto v : values) fmt::put_varint(&out, v);
  return out;
}

Bytes le32(std::uint32_t v) {
  Bytes out(4);
  fmt::put_le<std::uint32_t>(out.data(), v);
  return out;
}

Bytes concat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// One block: offset 24, 100 bytes, 2 records, first 1000 (zigzag 2000), span 5.
Bytes one_block() { return varints({24, 100, 2, 2000, 5}); }

// A key directory and postings holding only port keys: each port's value, the end of its
// posting list, and the posting lists themselves.
struct PortKey {
  std::uint16_t port;
  Bytes postings;
};
Bytes port_keys(const std::vector<PortKey>& keys) {
  Bytes out = concat(concat(le32(0), le32(0)), concat(le32(static_cast<std::uint32_t>(keys.size())), concat(le32(0), le32(0))));
  Bytes ends, postings;
  for (const auto& key : keys) {
    out.push_back(static_cast<std::uint8_t>(key.port >> 8));
    out.push_back(static_cast<std::uint8_t>(key.port));
    postings = concat(postings, key.postings);
    ends = concat(ends, le32(static_cast<std::uint32_t>(postings.size())));
  }
  return concat(concat(out, ends), postings);
}

Bytes no_keys() { return Bytes(fmt::kDirectoryCountsSize, 0); }

std::string parse_error(const std::vector<std::uint8_t>& bytes) {
  FlowIndex index;
  std::string error;
  EXPECT_FALSE(FlowIndex::parse(bytes.data(), bytes.size(), &index, &error));
  EXPECT_TRUE(index.blocks().empty());
  return error;
}

TEST(FlowIndex, ParsesAHandWrittenIndex) {
  auto bytes = seal(1, 1, one_block(), port_keys({{80, varints({0})}}));
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
  EXPECT_EQ(index.blocks_with_keys(FlowKey::port(1), FlowKey::port(79)), std::vector<bool>{false});
}

TEST(FlowIndex, FindsEveryKeyOfAManyKeyDirectory) {
  // Binary search over the directory: every port present answers, the gaps between do not.
  Bytes table = concat(one_block(), varints({0, 100, 2, 0, 5}));
  std::vector<PortKey> keys;
  for (std::uint16_t port = 10; port < 400; port += 3) keys.push_back({port, varints({port % 2 == 0 ? 0u : 1u})});
  auto bytes = seal(2, static_cast<std::uint32_t>(keys.size()), table, port_keys(keys));
  FlowIndex index;
  std::string error;
  ASSERT_TRUE(FlowIndex::parse(bytes.data(), bytes.size(), &index, &error)) << error;
  for (std::uint16_t port = 0; port < 420; ++port) {
    bool present = port >= 10 && port < 400 && (port - 10) % 3 == 0;
    std::vector<bool> expected{present && port % 2 == 0, present && port % 2 == 1};
    EXPECT_EQ(index.blocks_with_keys(FlowKey::port(port), FlowKey::port(port)), expected) << port;
  }
  EXPECT_EQ(index.blocks_with_keys(FlowKey::port(10), FlowKey::port(13)), (std::vector<bool>{true, true}));
  // Another kind has no keys here.
  FlowKey a = FlowKey::address(FlowKeyKind::kIpv4, std::array<std::uint8_t, 4>{0, 0, 0, 0}.data());
  FlowKey b = FlowKey::address(FlowKeyKind::kIpv4, std::array<std::uint8_t, 4>{255, 255, 255, 255}.data());
  EXPECT_EQ(index.blocks_with_keys(a, b), (std::vector<bool>{false, false}));
}

TEST(FlowIndex, ReusesOneIndexForManyFiles) {
  FlowIndex index;
  std::string error;
  auto big = seal(2, 1, concat(one_block(), varints({0, 100, 2, 0, 5})), port_keys({{443, varints({1})}}));
  auto small = seal(1, 1, one_block(), port_keys({{80, varints({0})}}));
  ASSERT_TRUE(FlowIndex::parse(big.data(), big.size(), &index, &error)) << error;
  EXPECT_EQ(index.blocks().size(), 2u);
  ASSERT_TRUE(FlowIndex::parse(small.data(), small.size(), &index, &error)) << error;
  ASSERT_EQ(index.blocks().size(), 1u);
  EXPECT_EQ(index.blocks_with_keys(FlowKey::port(443), FlowKey::port(443)), std::vector<bool>{false});
  EXPECT_EQ(index.blocks_with_keys(FlowKey::port(80), FlowKey::port(80)), std::vector<bool>{true});
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
  auto good = seal(1, 1, one_block(), port_keys({{80, varints({0})}}));
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
  // The first layout (version 1) names the way to rewrite it.
  auto old = good;
  fmt::put_le<std::uint16_t>(old.data() + fmt::kVersionAt, 1);
  EXPECT_NE(parse_error(old).find("unsupported version 1"), std::string::npos);
}

TEST(FlowIndex, RejectsInconsistentContentUnderValidChecksums) {
  auto keys = port_keys({{80, varints({0})}});
  EXPECT_FALSE(parse_error(seal(2, 1, one_block(), keys)).empty());  // counts too high
  EXPECT_NE(parse_error(seal(1, 2, one_block(), keys)).find("header says 2"), std::string::npos);
  EXPECT_NE(parse_error(seal(1000000, 1, one_block(), keys)).find("block count beyond"), std::string::npos);
  EXPECT_NE(parse_error(seal(1, 1, concat(one_block(), {0}), keys)).find("after the last block"), std::string::npos);
  EXPECT_NE(parse_error(seal(1, 0, one_block(), {1, 2, 3})).find("directory cut short"), std::string::npos);
  EXPECT_NE(parse_error(seal(1, 1, one_block(), {keys.begin(), keys.end() - 1})).find("beyond them"), std::string::npos);
  EXPECT_NE(parse_error(seal(1, 1, one_block(), concat(keys, {0}))).find("after the last posting"), std::string::npos);
  // Too many records for the bytes, zero records, an offset past the largest file offset.
  EXPECT_NE(parse_error(seal(1, 0, varints({24, 100, 9, 0, 0}), no_keys())).find("records in"), std::string::npos);
  EXPECT_NE(parse_error(seal(1, 0, varints({24, 100, 0, 0, 0}), no_keys())).find("records in"), std::string::npos);
  EXPECT_NE(parse_error(seal(2, 0, concat(one_block(), varints({~std::uint64_t{0} >> 1, 100, 1, 0, 0})), no_keys()))
                .find("beyond the largest"), std::string::npos);
  // Keys out of order or repeated, an empty posting list, unknown flags.
  EXPECT_NE(parse_error(seal(1, 2, one_block(), port_keys({{81, varints({0})}, {80, varints({0})}})))
                .find("out of order"), std::string::npos);
  EXPECT_NE(parse_error(seal(1, 2, one_block(), port_keys({{80, varints({0})}, {80, varints({0})}})))
                .find("out of order"), std::string::npos);
  EXPECT_NE(parse_error(seal(1, 2, one_block(), port_keys({{80, varints({0})}, {81, {}}}))).find("no postings"),
            std::string::npos);
  Bytes unknown_flag = concat(concat(le32(1), Bytes(16, 0)), concat(Bytes{99}, concat(le32(1), Bytes{0})));
  EXPECT_NE(parse_error(seal(1, 1, one_block(), unknown_flag)).find("unknown flag"), std::string::npos);
  // A varint longer than 64 bits.
  EXPECT_FALSE(parse_error(seal(1, 0, concat(varints({24, 100, 2, 0}), Bytes(11, 0xff)), no_keys())).empty());
}

TEST(FlowIndex, APostingBeyondTheBlockTableRulesNothingOut) {
  // Postings are decoded when a query reads them; one that names no block, or a list cut
  // inside a varint, makes the query keep every block of that index (sound), where ruling
  // blocks out could lose packets.
  auto table = concat(one_block(), varints({0, 100, 2, 0, 5}));
  auto bytes = seal(2, 3, table, port_keys({{80, varints({5})}, {443, varints({0})}, {8080, {0x80}}}));
  FlowIndex index;
  std::string error;
  ASSERT_TRUE(FlowIndex::parse(bytes.data(), bytes.size(), &index, &error)) << error;
  EXPECT_EQ(index.blocks_with_keys(FlowKey::port(80), FlowKey::port(80)), (std::vector<bool>{true, true}));
  EXPECT_EQ(index.blocks_with_keys(FlowKey::port(443), FlowKey::port(443)), (std::vector<bool>{true, false}));
  EXPECT_EQ(index.blocks_with_keys(FlowKey::port(8080), FlowKey::port(8080)), (std::vector<bool>{true, true}));
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
