#include "stages/secrets.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "common/exit_codes.h"
#include "support/test_support.h"

namespace pcap_ring {
namespace {

class SecretsTest : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const std::string& text, mode_t mode = 0600) {
    std::string path = dir.file(name);
    std::ofstream(path) << text;
    chmod(path.c_str(), mode);
    return path;
  }
  std::string error_of(const SecretSpec& spec, const std::map<std::string, std::string>& env) {
    try {
      read_secret(spec, env);
    } catch (const StartupError& e) {
      EXPECT_EQ(e.code(), kExitConfig);
      return e.what();
    }
    return "";
  }
  testing::TempDir dir;
};

TEST_F(SecretsTest, ReadsAPrivateFileAndStripsOneNewline) {
  std::string path = write("token", "s3cr3t\n");
  EXPECT_EQ(read_secret({"cloudshark-token", path, "[cloudshark] token_file"}, {}), "s3cr3t");
  path = write("crlf", "abc\r\n");
  EXPECT_EQ(read_secret({"x", path, "k"}, {}), "abc");
}

TEST_F(SecretsTest, RefusesAFileOthersCanRead) {
  std::string path = write("token", "s3cr3t\n", 0644);
  std::string message = error_of({"cloudshark-token", path, "[cloudshark] token_file"}, {});
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("0644"), std::string::npos) << message;
  EXPECT_EQ(message.find("s3cr3t"), std::string::npos) << "secret in the message: " << message;
  path = write("group", "x", 0640);
  EXPECT_FALSE(error_of({"n", path, "k"}, {}).empty());
}

TEST_F(SecretsTest, CredentialsDirectoryWins) {
  std::string creds = dir.file("creds");
  mkdir(creds.c_str(), 0700);
  std::ofstream(creds + "/cloudshark-token") << "from-systemd\n";
  std::string refused = write("token", "from-file\n", 0644);
  EXPECT_EQ(read_secret({"cloudshark-token", refused, "k"}, {{"CREDENTIALS_DIRECTORY", creds}}), "from-systemd");
  // Not among the credentials: the file is used.
  std::string ok = write("other", "from-file\n");
  EXPECT_EQ(read_secret({"s3-access-key-id", ok, "k"}, {{"CREDENTIALS_DIRECTORY", creds}}), "from-file");
}

TEST_F(SecretsTest, MissingAndEmptySecretsAreConfigErrors) {
  std::string message = error_of({"cloudshark-token", "", "[cloudshark] token_file"}, {});
  EXPECT_NE(message.find("[cloudshark] token_file"), std::string::npos) << message;
  EXPECT_NE(message.find("cloudshark-token"), std::string::npos) << message;
  EXPECT_FALSE(error_of({"n", dir.file("absent"), "k"}, {}).empty());
  EXPECT_FALSE(error_of({"n", write("empty", "\n"), "k"}, {}).empty());
  EXPECT_FALSE(error_of({"n", dir.path(), "k"}, {}).empty());  // a directory
}

}  // namespace
}  // namespace pcap_ring
