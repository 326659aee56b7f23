#include "stages/cloudshark_stage.h"

#include <gtest/gtest.h>

#include <fstream>

#include "common/exit_codes.h"
#include "support/test_support.h"

namespace pcap_ring {
namespace {

TEST(CloudSharkTags, InterfaceHostSequenceThenExtras) {
  HookFileInfo f;
  f.interface_name = "eth0";
  f.sequence = 42;
  EXPECT_EQ(cloudshark_tags(f, "h1", {}), "interface:eth0,host:h1,sequence:42");
  EXPECT_EQ(cloudshark_tags(f, "a b,c", {"lab", "x,y"}), "interface:eth0,host:a_b_c,sequence:42,lab,x_y");
}

TEST(CloudSharkText, MasksTokenAndReadsExceptions) {
  EXPECT_EQ(mask_token("http://h/api/v1/T0K/upload T0K", "T0K"), "http://h/api/v1/***/upload ***");
  EXPECT_EQ(mask_token("abc", ""), "abc");
  EXPECT_EQ(cloudshark_error_text(R"({"status":422,"exceptions":["not a capture","second"]})"),
            "not a capture; second");
  EXPECT_EQ(cloudshark_error_text("<html>oops</html>"), "");
  EXPECT_EQ(cloudshark_error_text(R"({"filename":"a","id":"b"})"), "");
}

TEST(CloudSharkClientTest, ApiUrlsEncodeTokenIdsAndQueries) {
  CloudSharkClient client("https://cs.example/root", "to k/en+", HttpOptions{});
  EXPECT_EQ(client.api("upload").str(), "https://cs.example/root/api/v1/to%20k%2Fen%2B/upload");
  EXPECT_EQ(client.masked("https://cs.example/root/api/v1/to%20k%2Fen%2B/upload and to k/en+"),
            "https://cs.example/root/api/v1/***/upload and ***");
  HttpResponse refused;
  refused.status = 401;
  refused.body = R"({"status":401,"exceptions":["bad token to k/en+"]})";
  StageOutcome o = client.failure("upload of f", refused);
  EXPECT_EQ(o.code, kExitFailure);
  EXPECT_EQ(o.message, "upload of f: HTTP 401 (bad token ***)");
}

TEST(CloudSharkClientTest, Replies) {
  EXPECT_EQ(cloudshark_upload_id(R"({"filename":"a.pcap","id":"abc123"})"), "abc123");
  EXPECT_EQ(cloudshark_upload_id(R"({"filename":"a.pcap","id":42})"), "42");
  EXPECT_FALSE(cloudshark_upload_id("<html>"));
  auto captures = cloudshark_search_captures(
      R"({"captures":[{"id":"a","filename":"pcap-eth0-000001.pcap"},{"id":7,"filename":"x"},{"bad":1}]})");
  ASSERT_TRUE(captures);
  ASSERT_EQ(captures->size(), 2u);
  EXPECT_EQ((*captures)[1].id, "7");
  EXPECT_FALSE(cloudshark_search_captures(R"({"results":[]})"));
}

TEST(CloudSharkRing, KeepsTheNewestSequencesOfThisRingOnly) {
  std::vector<CloudSharkCapture> c = {
      {"a", "pcap-eth0-000001.pcap"}, {"b", "pcap-eth0-000002.pcap"}, {"c", "pcap-eth0-000003.pcap"},
      {"d", "pcap-eth0-000004.pcap"}, {"o", "pcap-eth01-000001.pcap"}, {"x", "pcap-eth0-000002.pcap.bak"},
      {"y", "other.pcap"},
  };
  auto doomed = captures_beyond_ring(c, "pcap-eth0-", 2, "d");
  std::sort(doomed.begin(), doomed.end());
  // "x" parses as sequence 2 (extension ignored), so it goes with the old ones.
  EXPECT_EQ(doomed, (std::vector<std::string>{"a", "b", "x"}));
  // Room for all: only the second capture of sequence 2 goes (one capture per sequence).
  EXPECT_EQ(captures_beyond_ring(c, "pcap-eth0-", 10, "d"), (std::vector<std::string>{"x"}));
}

TEST(CloudSharkRing, DuplicateSequencesKeepTheJustUploadedOne) {
  std::vector<CloudSharkCapture> c = {{"old", "pcap-eth0-000005.pcap"}, {"new", "pcap-eth0-000005.pcap"},
                                      {"p", "pcap-eth0-000004.pcap"}};
  auto doomed = captures_beyond_ring(c, "pcap-eth0-", 2, "new");
  EXPECT_EQ(doomed, (std::vector<std::string>{"old"}));
}

class CloudSharkSettingsTest : public ::testing::Test {
 protected:
  void write(const std::string& name, const std::string& text) { std::ofstream(dir.file(name)) << text; }
  testing::TempDir dir;
};

TEST_F(CloudSharkSettingsTest, LayersAndErrors) {
  write("packet-capture.conf", "[cloudshark]\nurl = https://cs.example/\nring = yes\ntags = a, b\n");
  write("eth0.conf", "[cloudshark]\nring_size = 3\n");
  std::map<std::string, std::string> flags = {{"config_dir", dir.path()}};
  CloudSharkSettings s = load_cloudshark_settings(flags, "eth0", {});
  EXPECT_EQ(s.url, "https://cs.example");
  EXPECT_TRUE(s.ring);
  EXPECT_EQ(s.ring_size, 3u);
  EXPECT_EQ(s.tags, (std::vector<std::string>{"a", "b"}));
  s = load_cloudshark_settings(flags, "eth1", {{"CLOUDSHARK_URL", "http://127.0.0.1:1"}});
  EXPECT_EQ(s.url, "http://127.0.0.1:1");
  EXPECT_EQ(s.ring_size, 10u);
  flags["ring_size"] = "0";
  try {
    load_cloudshark_settings(flags, "eth0", {});
    ADD_FAILURE() << "no error";
  } catch (const StartupError& e) {
    EXPECT_EQ(e.code(), kExitUsage);
    EXPECT_NE(std::string(e.what()).find("--ring-size '0'"), std::string::npos) << e.what();
  }
  write("packet-capture.conf", "");
  try {
    load_cloudshark_settings({{"config_dir", dir.path()}}, "eth0", {});
    ADD_FAILURE() << "no error";
  } catch (const StartupError& e) {
    EXPECT_EQ(e.code(), kExitConfig);
    EXPECT_EQ(std::string(e.what()), "no CloudShark URL: set url in [cloudshark] of " + dir.path() +
                                         "/packet-capture.conf, CLOUDSHARK_URL or --url");
  }
}

}  // namespace
}  // namespace pcap_ring
