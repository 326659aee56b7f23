// Precedence of the layers, lowest first, for one capture setting and one stage setting:
// defaults < packet-capture.conf < IFACE.conf < environment < (ADDITIONAL_ARGS <) flags.
#include <gtest/gtest.h>

#include <fstream>

#include "cli/capture_flags.h"
#include "config/stage_settings.h"
#include "stages/cloudshark_stage.h"
#include "support/test_support.h"

namespace pcap_ring {
namespace {

class PrecedenceTest : public ::testing::Test {
 protected:
  void write(const std::string& name, const std::string& text) { std::ofstream(dir.file(name)) << text; }
  std::uint64_t file_size(const Environment& env, const std::string& flag = "") {
    RawSettings raw;
    raw.values = {{"interface", "eth0"}, {"config_dir", dir.path()}};
    if (!flag.empty()) raw.values["file_size"] = flag;
    return load_capture_config(raw, env).file_size_mb;
  }
  std::uint64_t ring_size(const Environment& env, const std::string& flag = "") {
    std::map<std::string, std::string> flags{{"config_dir", dir.path()}};
    if (!flag.empty()) flags["ring_size"] = flag;
    return load_cloudshark_settings(flags, "eth0", env).ring_size;
  }
  testing::TempDir dir;
};

TEST_F(PrecedenceTest, CaptureSettingEachLayerOverridesTheOneBelow) {
  EXPECT_EQ(file_size({}), 25u);
  write("packet-capture.conf", "[capture]\nfile_size = 2\n");
  EXPECT_EQ(file_size({}), 2u);
  write("eth0.conf", "file_size = 3\n");
  EXPECT_EQ(file_size({}), 3u);
  EXPECT_EQ(file_size({{"FILESIZE", "4"}}), 4u);
  EXPECT_EQ(file_size({{"FILESIZE", "4"}, {"ADDITIONAL_ARGS", "-C5"}}), 5u);
  EXPECT_EQ(file_size({{"FILESIZE", "4"}, {"ADDITIONAL_ARGS", "--file-size 5"}}, "6"), 6u);
}

TEST_F(PrecedenceTest, StageSettingEachLayerOverridesTheOneBelow) {
  const Environment url{{"CLOUDSHARK_URL", "http://127.0.0.1:1"}};
  EXPECT_EQ(ring_size(url), 10u);
  write("packet-capture.conf", "[cloudshark]\nurl = http://a\nring_size = 2\n");
  EXPECT_EQ(ring_size({}), 2u);
  write("eth0.conf", "[cloudshark]\nring_size = 3\n");
  EXPECT_EQ(ring_size({}), 3u);
  EXPECT_EQ(ring_size({}, "4"), 4u);
  EXPECT_EQ(load_cloudshark_settings({{"config_dir", dir.path()}}, "eth0", url).url, "http://127.0.0.1:1");
}

}  // namespace
}  // namespace pcap_ring
