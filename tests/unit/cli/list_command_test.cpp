#include "cli/list_command.h"

#include <gtest/gtest.h>

#include <sstream>

#include "ring/ring_index.h"
#include "ring/ring_names.h"
#include "support/test_support.h"

namespace pcap_ring {
namespace {

class ListCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RingId ring{"pcap", "eth0"};
    RingIndex index(dir.file(state_file_name(ring, StateFile::kIndex)));
    index.add({ring_file_name(ring, 1, FileFormat::kPcap), 1, 1000000000, 2000000000, 3, 300, 0});
    index.add({ring_file_name(ring, 2, FileFormat::kPcap), 2, 0, 0, 0, 24, 5});
    ASSERT_EQ(index.save(), 0);
  }
  std::string list(bool json) {
    ListOptions options;
    options.directory = dir.path();
    options.json = json;
    std::ostringstream out;
    EXPECT_EQ(list_rings(options, out), 0);
    return out.str();
  }
  testing::TempDir dir;
};

TEST_F(ListCommandTest, TableHasOneLinePerFinishedFile) {
  std::string text = list(false);
  std::istringstream lines(text);
  std::string header, first, second, extra;
  std::getline(lines, header);
  std::getline(lines, first);
  std::getline(lines, second);
  EXPECT_FALSE(std::getline(lines, extra)) << text;
  EXPECT_EQ(header.rfind("FILE", 0), 0u) << header;
  EXPECT_NE(header.find("PACKETS"), std::string::npos);
  EXPECT_EQ(first.rfind("pcap-eth0-000001.pcap", 0), 0u) << first;
  EXPECT_NE(first.find("1970-01-01T00:00:01"), std::string::npos) << first;
  EXPECT_NE(first.find(" 300 "), std::string::npos) << first;
  EXPECT_EQ(second.rfind("pcap-eth0-000002.pcap", 0), 0u) << second;
  EXPECT_NE(second.find(" - "), std::string::npos) << second;  // no packets: no time span
}

TEST_F(ListCommandTest, JsonIsAnArrayOfRecords) {
  std::string json = list(true);
  EXPECT_EQ(json.front(), '[');
  EXPECT_NE(json.find("\"file\": \"pcap-eth0-000001.pcap\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"drops\": 5"), std::string::npos) << json;
}

}  // namespace
}  // namespace pcap_ring
