#include "stages/s3_stage.h"

#include <gtest/gtest.h>

#include <fstream>

#include "common/exit_codes.h"
#include "stages/s3_checksum.h"
#include "stages/s3_xml.h"
#include "support/test_support.h"

namespace pcap_ring {
namespace {

TEST(S3KeyTemplate, ExpandsPlaceholdersAndDropsEmptySegments) {
  S3KeyFields f{"site1", "host1", "eth0", "pcap-eth0-000042.pcap", 42};
  EXPECT_EQ(expand_key_template("{prefix}/{host}/{iface}/{filename}", f), "site1/host1/eth0/pcap-eth0-000042.pcap");
  EXPECT_EQ(expand_key_template("x/{iface}-{sequence}.pcap", f), "x/eth0-000042.pcap");
  f.prefix = "";
  EXPECT_EQ(expand_key_template("{prefix}/{host}/{iface}/{filename}", f), "host1/eth0/pcap-eth0-000042.pcap");
  f.sequence = 1234567;
  EXPECT_EQ(expand_key_template("{sequence}", f), "1234567");
}

TEST(S3KeyTemplate, RejectsUnknownOrUnbalancedPlaceholders) {
  EXPECT_FALSE(check_key_template("{prefix}/{host}/{iface}/{filename}"));
  EXPECT_FALSE(check_key_template("{sequence}"));
  EXPECT_TRUE(check_key_template("{prefix}/{nope}/{filename}"));
  EXPECT_TRUE(check_key_template("{prefix/{filename}"));
  EXPECT_TRUE(check_key_template("{filename}}"));
  EXPECT_TRUE(check_key_template("{host}/fixed"));  // every file would overwrite the last
}

TEST(S3Url, PathStyleForCustomEndpointsVirtualHostForAws) {
  S3Settings s;
  s.bucket = "pcaps";
  s.endpoint = "http://127.0.0.1:9000";
  EXPECT_EQ(s3_object_url(s, "a b/c+d.pcap"), "http://127.0.0.1:9000/pcaps/a%20b/c%2Bd.pcap");
  s.path_style = false;
  EXPECT_EQ(s3_object_url(s, "k"), "http://pcaps.127.0.0.1:9000/k");
  S3Settings aws;
  aws.bucket = "b1";
  aws.region = "eu-west-1";
  EXPECT_EQ(s3_object_url(aws, "x/y"), "https://b1.s3.eu-west-1.amazonaws.com/x/y");
}

TEST(S3Url, KeysWithCharactersNeedingEncoding) {
  S3Settings s;
  s.bucket = "pcaps";
  s.endpoint = "https://s3.local:9000/";  // as written in a config file; trailing '/' is dropped by the setting
  s.endpoint.pop_back();
  EXPECT_EQ(s3_object_url(s, "site a/h?1/caf\xc3\xa9 #1+2.pcap"),
            "https://s3.local:9000/pcaps/site%20a/h%3F1/caf%C3%A9%20%231%2B2.pcap");
  EXPECT_EQ(s3_object_url(s, "a~b_c-d.e"), "https://s3.local:9000/pcaps/a~b_c-d.e");
}

TEST(S3Xml, InitiateMultipartUploadReply) {
  const std::string body =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Bucket>pcaps</Bucket><Key>h/eth0/pcap-eth0-000001.pcap</Key>"
      "<UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA+/=</UploadId>"
      "</InitiateMultipartUploadResult>";
  std::string problem;
  auto id = s3_upload_id(body, &problem);
  ASSERT_TRUE(id) << problem;
  EXPECT_EQ(*id, "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA+/=");
  EXPECT_FALSE(s3_upload_id("<InitiateMultipartUploadResult><Bucket>b</Bucket></InitiateMultipartUploadResult>",
                            &problem));
  EXPECT_EQ(problem, "no UploadId in the reply");
}

TEST(S3Xml, MalformedRepliesAreClearErrors) {
  std::string problem;
  for (const char* bad : {"", "<InitiateMultipartUploadResult><UploadId>abc</UploadId>",
                          "<A><UploadId>x</A></UploadId>", "not xml at all", "<A>&bogus;</A>", "\x01\x02"}) {
    problem.clear();
    EXPECT_FALSE(s3_upload_id(bad, &problem)) << bad;
    EXPECT_EQ(problem.rfind("reply is not XML (line ", 0), 0u) << problem;
  }
  std::string error;
  EXPECT_FALSE(S3XmlReply::parse("<a><b></a>", &error));
  EXPECT_NE(error.find("mismatched tag"), std::string::npos) << error;
}

TEST(S3Xml, CompleteReplyAndErrorInsideA200) {
  const std::string done =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CompleteMultipartUploadResult "
      "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Location>http://h/pcaps/k</Location><Bucket>pcaps</Bucket>"
      "<Key>k</Key><ETag>&quot;3858f62230ac3c915f300c664312c11f-9&quot;</ETag></CompleteMultipartUploadResult>";
  std::string error;
  auto reply = S3XmlReply::parse(done, &error);
  ASSERT_TRUE(reply) << error;
  EXPECT_EQ(reply->root(), "CompleteMultipartUploadResult");
  EXPECT_EQ(reply->text("ETag"), "\"3858f62230ac3c915f300c664312c11f-9\"");
  EXPECT_EQ(unquote_etag(reply->text("ETag")), "3858f62230ac3c915f300c664312c11f-9");
  EXPECT_EQ(reply->text("Absent"), "");
  EXPECT_EQ(s3_error_text(done), "");
  const std::string failed =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InternalError</Code><Message>We encountered an "
      "internal error. Please try again.</Message><RequestId>656c76696e6727732072657175657374</RequestId></Error>";
  EXPECT_EQ(s3_error_text(failed), "InternalError: We encountered an internal error. Please try again.");
  EXPECT_EQ(s3_error_text("<Error><Code>NoSuchBucket</Code></Error>"), "NoSuchBucket");
}

TEST(S3Xml, ErrorsElementsAndMultipartEtag) {
  std::string body =
      "<?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code><Message>a &amp; b</Message></Error>";
  EXPECT_EQ(s3_error_text(body), "SignatureDoesNotMatch: a & b");
  EXPECT_EQ(s3_error_text("<Result/>"), "");
  EXPECT_EQ(s3_error_text("<html><body>502 Bad Gateway</body></html>"), "");
  EXPECT_EQ(s3_error_text("<Error><Code>Slow"), "") << "truncated";
  // MD5 of the two binary MD5s of "" (d41d8cd9...) concatenated, then "-2".
  EXPECT_EQ(multipart_etag({"d41d8cd98f00b204e9800998ecf8427e", "d41d8cd98f00b204e9800998ecf8427e"}),
            "5873dd45edd01f09c1ef2e7819369e8e-2");
}

class S3SettingsTest : public ::testing::Test {
 protected:
  std::map<std::string, std::string> flags(std::map<std::string, std::string> f) {
    f["config_dir"] = dir.path();
    return f;
  }
  void write(const std::string& name, const std::string& text) { std::ofstream(dir.file(name)) << text; }
  std::string error_of(const std::map<std::string, std::string>& f, const std::map<std::string, std::string>& env,
                       ExitCode expected) {
    try {
      load_s3_settings(f, "eth0", env);
    } catch (const StartupError& e) {
      EXPECT_EQ(e.code(), expected) << e.what();
      return e.what();
    }
    ADD_FAILURE() << "no error";
    return "";
  }
  testing::TempDir dir;
};

TEST_F(S3SettingsTest, LayersInOrder) {
  write("packet-capture.conf", "[s3]\nbucket = global\nregion = eu-west-1\nprefix = g\npart_size_mb = 8\n");
  write("eth0.conf", "[s3]\nbucket = iface\nprefix = i\n");
  S3Settings s = load_s3_settings(flags({}), "eth0", {});
  EXPECT_EQ(s.bucket, "iface");
  EXPECT_EQ(s.region, "eu-west-1");
  EXPECT_EQ(s.part_size_mb, 8u);
  EXPECT_EQ(s.multipart_threshold_mb, 64u);
  EXPECT_FALSE(s.use_path_style());
  s = load_s3_settings(flags({}), "eth0", {{"S3_PREFIX", "env"}, {"S3_ENDPOINT", "http://127.0.0.1:1/"}});
  EXPECT_EQ(s.prefix, "env");
  EXPECT_EQ(s.endpoint, "http://127.0.0.1:1");
  EXPECT_TRUE(s.use_path_style());
  s = load_s3_settings(flags({{"prefix", "flag"}}), "eth0", {{"S3_PREFIX", "env"}});
  EXPECT_EQ(s.prefix, "flag");
}

TEST_F(S3SettingsTest, ConfigDirFromEnvironment) {
  write("packet-capture.conf", "[s3]\nbucket = fromdir\n");
  S3Settings s = load_s3_settings({}, "", {{"CONFIG_DIR", dir.path()}});
  EXPECT_EQ(s.bucket, "fromdir");
  EXPECT_EQ(s.config_dir, dir.path());
}

TEST_F(S3SettingsTest, MissingBucketNamesEveryPlaceToSetIt) {
  write("packet-capture.conf", "[s3]\nregion = eu-west-1\n");
  EXPECT_EQ(error_of(flags({}), {}, kExitConfig),
            "no S3 bucket: set bucket in [s3] of " + dir.path() + "/packet-capture.conf, S3_BUCKET or --bucket");
}

TEST_F(S3SettingsTest, BadValuesNameTheirSource) {
  write("packet-capture.conf", "[s3]\nbucket = ok-bucket\n");
  EXPECT_NE(error_of(flags({{"part_size_mb", "4"}}), {}, kExitUsage).find("--part-size-mb '4'"), std::string::npos);
  EXPECT_NE(error_of(flags({}), {{"S3_ENDPOINT", "ftp://x"}}, kExitConfig).find("S3_ENDPOINT='ftp://x'"),
            std::string::npos);
  write("eth0.conf", "[s3]\n\nverify = perhaps\n");
  std::string m = error_of(flags({}), {}, kExitConfig);
  EXPECT_NE(m.find("eth0.conf:3"), std::string::npos) << m;
  EXPECT_NE(m.find("perhaps"), std::string::npos) << m;
  write("eth0.conf", "");
  write("packet-capture.conf", "");
  EXPECT_NE(error_of(flags({}), {}, kExitConfig).find("S3_BUCKET"), std::string::npos);
  EXPECT_NE(error_of(flags({{"bucket", "Bad_Bucket"}}), {}, kExitUsage).find("--bucket"), std::string::npos);
}

}  // namespace
}  // namespace pcap_ring
