#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "hooks/hook_pipeline.h"
#include "hooks/hook_queue.h"
#include "support/test_support.h"

namespace pcap_ring {
namespace {

class DamagedQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir.file("hooks.d"));
    std::filesystem::create_directories(ring());
    std::string hook = dir.file("hooks.d/10-log");
    std::ofstream(hook) << "#!/bin/sh\necho \"$PCAP_SEQUENCE\" >> \"$LOG\"\n";
    chmod(hook.c_str(), 0755);
  }
  std::string ring() { return dir.file("ring"); }
  std::string queue() { return ring() + "/.pcap-t.hooks"; }
  FileRecord file(std::uint64_t seq) {
    std::string name = "pcap-t-" + std::to_string(100000 + seq) + ".pcap";
    std::ofstream(ring() + "/" + name) << "data";
    return {name, seq, 1, 2, 1, 4, 0};
  }
  // One start of the pipeline over `finished`; returns the sequences the hook ran for.
  std::vector<std::string> start_with(const std::vector<FileRecord>& finished) {
    std::filesystem::remove(dir.file("log"));
    HookPipelineOptions o;
    o.state_path = queue();
    o.ring_dir = ring();
    o.stages.hooks_dir = dir.file("hooks.d");
    o.stages.interface_name = "t";
    o.stages.base_env = {"PATH=/usr/bin:/bin", "LOG=" + dir.file("log")};
    HookPipeline p(o, clock);
    p.load();
    p.reconcile(finished);
    p.start();
    p.stop(clock.monotonic() + 10 * kNanosPerSecond);
    std::ifstream in(dir.file("log"));
    std::vector<std::string> ran;
    for (std::string l; std::getline(in, l);) ran.push_back(l);
    return ran;
  }
  std::size_t damaged_copies() {
    std::size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(ring()))
      if (e.path().filename().string().starts_with(".pcap-t.hooks.damaged-")) ++n;
    return n;
  }
  testing::TempDir dir;
  SystemClock clock;
};

TEST_F(DamagedQueueTest, EveryDamagedCopyIsKeptAndTheWorkIsRebuiltFromTheIndex) {
  std::vector<FileRecord> finished = {file(1), file(2)};
  std::ofstream(queue()) << R"({"last_enqueued": 0, "stats": {}, "failures": [], "jobs": []})";
  EXPECT_EQ(start_with(finished), (std::vector<std::string>{"1", "2"}));
  EXPECT_TRUE(start_with(finished).empty());  // done: nothing runs again
  for (int i = 1; i <= 2; ++i) {
    std::ofstream(queue()) << "{\"jobs\": [";  // a torn write
    EXPECT_EQ(start_with(finished), (std::vector<std::string>{"1", "2"})) << "damage " << i;
    EXPECT_EQ(damaged_copies(), static_cast<std::size_t>(i));
  }
}

TEST_F(DamagedQueueTest, NegativeNumbersMakeTheQueueDamaged) {
  std::ofstream(queue()) << R"({"last_enqueued": -5, "stats": {}, "failures": [], "jobs": []})";
  try {
    load_hook_queue(queue());
    FAIL() << "a negative last_enqueued was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/last_enqueued"), std::string::npos) << e.what();
  }
  EXPECT_EQ(start_with({file(3)}), (std::vector<std::string>{"3"}));
  EXPECT_EQ(damaged_copies(), 1u);
}

}  // namespace
}  // namespace pcap_ring
