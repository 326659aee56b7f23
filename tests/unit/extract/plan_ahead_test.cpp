#include "extract/plan_ahead.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <limits>

#include "common/unique_fd.h"
#include "flows/flow_index_builder.h"
#include "flows/flow_index_file.h"
#include "flows/flow_test_frames.h"
#include "support/test_support.h"

namespace pcap_ring {
namespace {

// Five ring files with their flow indexes; host 10.0.0.<file> appears in the middle of each.
struct Ring {
  testing::TempDir dir;
  UniqueFd dir_fd;
  std::vector<std::string> names;

  Ring() {
    for (int f = 0; f < 5; ++f) {
      std::vector<testing::TestPacket> packets;
      for (int i = 0; i < 200; ++i) {
        testing::FrameSpec s;
        s.src = testing::v4(192, 168, 0, static_cast<std::uint8_t>(i % 50));
        if (i == 100) s.src = testing::v4(10, 0, 0, static_cast<std::uint8_t>(f));
        packets.push_back({1'000'000'000LL * (f * 1000 + i), testing::make_frame(s)});
      }
      StreamParams params;
      auto bytes = testing::make_capture(params, packets);
      std::string name = "ring-" + std::to_string(f) + ".pcap";
      testing::write_text_file(dir.file(name), std::string(bytes.begin(), bytes.end()));
      FlowIndexBuilder builder;
      builder.feed(bytes.data(), bytes.size());
      EXPECT_EQ(write_flow_index(dir.path(), name, builder.finish()), 0);
      names.push_back(name);
    }
    dir_fd = UniqueFd(::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY));
  }
};

std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges(const FilePlan& plan) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
  for (const auto& r : plan.ranges) out.emplace_back(r.begin, r.end);
  return out;
}

TEST(PlanAhead, GivesTheSamePlansAsPlanningInPlaceAndSkipsWhatTheReaderPassedOver) {
  Ring ring;
  TimeWindow window{0, std::numeric_limits<NanoTime>::max()};
  auto query = parse_flow_query("host 10.0.0.2 or host 10.0.0.4");
  ASSERT_TRUE(query);
  PlanAhead ahead(ring.dir_fd.get(), window, &*query, ring.names);
  std::vector<std::string> warnings;
  FlowIndex scratch;
  for (int f : {0, 2, 4}) {  // 1 and 3 passed over, as files deleted before they were opened
    auto planned = ahead.take(ring.names[static_cast<std::size_t>(f)], &warnings);
    ASSERT_TRUE(planned) << f;
    FilePlan direct = plan_file(ring.dir_fd.get(), ring.names[static_cast<std::size_t>(f)], 0, window, &*query, true,
                                &scratch, &warnings);
    EXPECT_TRUE(planned->indexed);
    EXPECT_EQ(ranges(*planned), ranges(direct)) << f;
    // The host's block plus the tail after the index: file 0 has no such host.
    EXPECT_EQ(planned->ranges.size(), f == 0 ? 1u : 2u) << f;
  }
  EXPECT_FALSE(ahead.take(ring.names[1], &warnings));  // passed over: the caller plans it
  EXPECT_FALSE(ahead.take("not-listed.pcap", &warnings));
  EXPECT_TRUE(warnings.empty());
}

TEST(PlanAhead, ADamagedIndexIsAWarningAndTheWholeFile) {
  Ring ring;
  testing::write_text_file(ring.dir.file(".ring-1.pcap.flows"), "not an index");
  TimeWindow window{0, std::numeric_limits<NanoTime>::max()};
  PlanAhead ahead(ring.dir_fd.get(), window, nullptr, ring.names);
  std::vector<std::string> warnings;
  ASSERT_TRUE(ahead.take(ring.names[0], &warnings));
  auto damaged = ahead.take(ring.names[1], &warnings);
  ASSERT_TRUE(damaged);
  EXPECT_FALSE(damaged->indexed);
  EXPECT_EQ(ranges(*damaged), (std::vector<std::pair<std::uint64_t, std::uint64_t>>{
                                  {0, std::numeric_limits<std::uint64_t>::max()}}));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("ring-1.pcap"), std::string::npos);
}

TEST(PlanAhead, StopsWithPlansNotTaken) {
  Ring ring;
  TimeWindow window{0, std::numeric_limits<NanoTime>::max()};
  std::vector<std::string> warnings;
  {
    PlanAhead ahead(ring.dir_fd.get(), window, nullptr, ring.names);
    ASSERT_TRUE(ahead.take(ring.names[0], &warnings));
  }  // four plans never taken: the thread stops and joins (a hang fails the test's timeout)
  EXPECT_TRUE(warnings.empty());
}

}  // namespace
}  // namespace pcap_ring
