#include "hooks/hook_base_environment.h"
#include "hooks/hook_environment.h"
#include "cli/capture_flags.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "common/exit_codes.h"
#include "config/capture_config.h"
#include "support/test_support.h"

namespace pcap_ring {
namespace {

bool has(const std::vector<std::string>& env, const std::string& entry) {
  return std::find(env.begin(), env.end(), entry) != env.end();
}

TEST(HookBaseEnvironment, PassesOnlyTheDocumentedVariables) {
  std::map<std::string, std::string> daemon = {
      {"PATH", "/usr/bin"},         {"LANG", "C.UTF-8"},          {"TZ", "UTC"},
      {"CREDENTIALS_DIRECTORY", "/run/credentials/x"},            {"NOTIFY_SOCKET", "/run/systemd/notify"},
      {"WATCHDOG_USEC", "30000000"}, {"WATCHDOG_PID", "1"},        {"HOME", "/root"},
      {"SECRET_TOKEN", "abc"},       {"PCAP_ZSTD_DIR", "/archive"}, {"PCAP_FILE", "/stale"},
      {"S3_BUCKET", "b"},            {"CONFIG_DIR", "/elsewhere"}};
  auto env = hook_base_environment(daemon, {"S3_BUCKET"}, "/etc/pc");
  EXPECT_TRUE(has(env, "PATH=/usr/bin"));
  EXPECT_TRUE(has(env, "LANG=C.UTF-8"));
  EXPECT_TRUE(has(env, "TZ=UTC"));
  EXPECT_TRUE(has(env, "CREDENTIALS_DIRECTORY=/run/credentials/x"));
  EXPECT_TRUE(has(env, "PCAP_ZSTD_DIR=/archive"));
  EXPECT_TRUE(has(env, "S3_BUCKET=b"));
  EXPECT_TRUE(has(env, "CONFIG_DIR=/etc/pc"));
  EXPECT_EQ(env.size(), 7u) << ::testing::PrintToString(env);
}

TEST(HookBaseEnvironment, PerFileVariablesAreRecognised) {
  EXPECT_TRUE(is_hook_environment_entry("PCAP_FILE=/x"));
  EXPECT_TRUE(is_hook_environment_entry("PCAP_HOOK_ATTEMPT"));
  EXPECT_FALSE(is_hook_environment_entry("PCAP_ZSTD_DIR=/x"));
}

TEST(HookPassEnvironmentSetting, ReadFromIniAndEnvironmentAndValidated) {
  testing::TempDir dir;
  std::ofstream(dir.file("packet-capture.conf")) << "[hooks]\npass_environment = S3_BUCKET  HTTPS_PROXY\n";
  RawSettings cli;
  cli.values = {{"interface", "eth0"}, {"config_dir", dir.path()}};
  CaptureConfig c = load_capture_config(cli, {});
  EXPECT_EQ(c.hook_pass_environment, (std::vector<std::string>{"S3_BUCKET", "HTTPS_PROXY"}));
  c = load_capture_config(cli, {{"HOOK_PASS_ENVIRONMENT", "FOO"}});
  EXPECT_EQ(c.hook_pass_environment, (std::vector<std::string>{"FOO"}));
  try {
    load_capture_config(cli, {{"HOOK_PASS_ENVIRONMENT", "FOO BAD=1"}});
    FAIL() << "a name with '=' was accepted";
  } catch (const StartupError& e) {
    EXPECT_EQ(e.code(), kExitConfig);
    EXPECT_NE(std::string(e.what()).find("BAD=1"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace pcap_ring
