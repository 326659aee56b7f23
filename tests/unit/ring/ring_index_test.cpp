#include "ring/ring_index.h"

#include <gtest/gtest.h>

#include <fstream>

#include "support/test_support.h"

namespace pcap_ring {
namespace {

TEST(RingIndex, SaveAndLoadRoundTripInSequenceOrder) {
  testing::TempDir dir;
  RingIndex index(dir.file(".pcap-eth0.index"));
  index.add({"pcap-eth0-000002.pcap", 2, 20, 30, 4, 400, 1});
  index.add({"pcap-eth0-000001.pcap", 1, 10, 15, 3, 300, 0});
  ASSERT_EQ(index.save(), 0);

  RingIndex loaded(index.path());
  std::vector<std::string> warnings;
  ASSERT_TRUE(loaded.load(&warnings));
  EXPECT_TRUE(warnings.empty());
  ASSERT_EQ(loaded.records().size(), 2u);
  EXPECT_EQ(loaded.records()[0].sequence, 1u);
  EXPECT_EQ(loaded.records()[1].file, "pcap-eth0-000002.pcap");
  EXPECT_EQ(loaded.records()[1].first, 20);
  EXPECT_EQ(loaded.records()[1].last, 30);
  EXPECT_EQ(loaded.records()[1].packets, 4u);
  EXPECT_EQ(loaded.records()[1].bytes, 400u);
  EXPECT_EQ(loaded.records()[1].drops, 1u);
}

TEST(RingIndex, MissingIndexIsEmptyAndBadLinesAreReported) {
  testing::TempDir dir;
  RingIndex missing(dir.file("none.index"));
  EXPECT_TRUE(missing.load(nullptr));
  EXPECT_TRUE(missing.records().empty());

  std::ofstream(dir.file("bad.index"))
      << nlohmann::ordered_json(FileRecord{"a.pcap", 1, 1, 2, 1, 10, 0}).dump() << "\n{not json\n"
      << R"({"file":"../evil","sequence":2,"first_ns":0,"last_ns":0,"packets":0,"bytes":0,"drops":0})" << "\n";
  RingIndex bad(dir.file("bad.index"));
  std::vector<std::string> warnings;
  EXPECT_TRUE(bad.load(&warnings));
  EXPECT_EQ(bad.records().size(), 1u);
  EXPECT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[0].find(":2:"), std::string::npos) << warnings[0];
}

TEST(RingIndex, JsonCarriesRfc3339TimesInFieldOrder) {
  std::string line =
      nlohmann::ordered_json(FileRecord{"a.pcap", 7, 1'700'000'000'123456789LL, 1'700'000'001'000000000LL, 2, 10, 0}).dump();
  EXPECT_EQ(line,
            R"({"file":"a.pcap","sequence":7,"first":"2023-11-14T22:13:20.123456789Z",)"
            R"("last":"2023-11-14T22:13:21.000000000Z","first_ns":1700000000123456789,"last_ns":1700000001000000000,)"
            R"("packets":2,"bytes":10,"drops":0,"flow_index_bytes":0})");
  auto empty = nlohmann::ordered_json(FileRecord{"b.pcap", 8, 0, 0, 0, 24, 0});
  EXPECT_EQ(empty["first"], "");
  FileRecord back = nlohmann::json::parse(line).get<FileRecord>();
  EXPECT_EQ(back.first, 1'700'000'000'123456789LL);
  EXPECT_EQ(back.sequence, 7u);
}

TEST(RingIndex, NumbersMustBeIntegersThatFit) {
  const std::string fields = R"("file":"a.pcap","first_ns":0,"last_ns":0,"bytes":0,"drops":0)";
  auto parses = [&](const std::string& rest) {
    try {
      (void)nlohmann::json::parse("{" + fields + rest + "}").get<FileRecord>();
      return true;
    } catch (const nlohmann::json::exception&) {
      return false;
    }
  };
  EXPECT_TRUE(parses(R"(,"sequence":1,"packets":2)"));
  EXPECT_FALSE(parses(R"(,"sequence":1,"packets":18446744073709551616)"));
  EXPECT_FALSE(parses(R"(,"sequence":1e30,"packets":2)"));
  EXPECT_FALSE(parses(R"(,"sequence":-1,"packets":2)"));
  EXPECT_FALSE(parses(R"(,"sequence":1.5,"packets":2)"));
}

TEST(Timestamp, FormatsAndParsesRfc3339) {
  NanoTime t = 1'700'000'000'000000001LL;
  EXPECT_EQ(format_rfc3339_ns(t), "2023-11-14T22:13:20.000000001Z");
  EXPECT_EQ(parse_rfc3339("2023-11-14T22:13:20.000000001Z"), t);
  EXPECT_EQ(parse_rfc3339("2023-11-14T22:13:20Z"), t - 1);
  EXPECT_EQ(parse_rfc3339("2023-11-14T22:13:20.5Z"), t - 1 + 500000000);
  EXPECT_FALSE(parse_rfc3339("2023-11-14 22:13:20"));
  EXPECT_FALSE(parse_rfc3339("2023-11-14T22:13:20.Z"));
}

}  // namespace
}  // namespace pcap_ring
