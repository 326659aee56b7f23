#include "cli/capture_flags.h"
#include "config/capture_config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/exit_codes.h"
#include "support/test_support.h"

namespace pcap_ring {
namespace {

using Env = std::map<std::string, std::string>;

class ConfigTest : public ::testing::Test {
 protected:
  RawSettings cli(std::map<std::string, std::string> values) {
    RawSettings r;
    r.values = std::move(values);
    if (!r.values.count("config_dir")) r.values["config_dir"] = dir.path();
    return r;
  }
  void write(const std::string& name, const std::string& text) { std::ofstream(dir.file(name)) << text; }
  ExitCode error_code(const RawSettings& r, const Env& env, std::string* message) {
    try {
      load_capture_config(r, env);
    } catch (const StartupError& e) {
      *message = e.what();
      return e.code();
    }
    return kExitOk;
  }
  testing::TempDir dir;
};

TEST_F(ConfigTest, DefaultsMatchTheClassicUnit) {
  CaptureConfig c = load_capture_config(cli({{"interface", "eth0"}}), {});
  EXPECT_EQ(c.file_size_mb, 25u);
  EXPECT_EQ(c.file_size_bytes(), 25'000'000u);
  EXPECT_EQ(c.file_limit, 10u);
  EXPECT_EQ(c.prefix, "pcap");
  EXPECT_EQ(c.output_dir, "/var/lib/packet-capture/eth0");
  EXPECT_EQ(c.format, FileFormat::kPcap);
  EXPECT_EQ(c.tstamp, TimestampPrecision::kNano);
  EXPECT_TRUE(c.promisc);
  EXPECT_EQ(c.rotate_seconds, 0u);
}

TEST_F(ConfigTest, PrecedenceIniThenInterfaceIniThenEnvThenAdditionalArgsThenFlags) {
  write("packet-capture.conf", "[capture]\nfile_size = 2\nfile_limit = 3\nprefix = glob\nsnaplen = 100\nformat = pcapng\n");
  write("eth0.conf", "[capture]\nfile_limit = 4\nprefix = iface\nsnaplen = 200\n");
  Env env{{"FILELIMIT", "5"}, {"SNAPLEN", "300"}, {"ADDITIONAL_ARGS", "--snaplen 400 --prefix add"}};
  CaptureConfig c = load_capture_config(cli({{"interface", "eth0"}, {"prefix", "flag"}}), env);
  EXPECT_EQ(c.file_size_mb, 2u);     // global INI
  EXPECT_EQ(c.format, FileFormat::kPcapng);
  EXPECT_EQ(c.file_limit, 5u);       // env over both INI files
  EXPECT_EQ(c.snaplen, 400u);        // ADDITIONAL_ARGS over env
  EXPECT_EQ(c.prefix, "flag");       // command line over everything
}

TEST_F(ConfigTest, EmptyEnvironmentValuesMeanUnset) {
  CaptureConfig c = load_capture_config(cli({{"interface", "eth0"}}), {{"FILTER", ""}, {"FILESIZE", ""}});
  EXPECT_EQ(c.filter, "");
  EXPECT_EQ(c.file_size_mb, 25u);
  c = load_capture_config(cli({{"interface", "eth0"}}), {{"FILTER", "udp port 53"}, {"PROMISC", "no"}});
  EXPECT_EQ(c.filter, "udp port 53");
  EXPECT_FALSE(c.promisc);
}

TEST_F(ConfigTest, BadEnvironmentValueIsAConfigErrorNamingIt) {
  std::string msg;
  EXPECT_EQ(error_code(cli({{"interface", "eth0"}}), {{"FILESIZE", "abc"}}, &msg), kExitConfig);
  EXPECT_NE(msg.find("FILESIZE=abc"), std::string::npos) << msg;
  EXPECT_NE(msg.find("expected"), std::string::npos) << msg;
  EXPECT_EQ(error_code(cli({{"interface", "eth0"}}), {{"FILELIMIT", "-1"}}, &msg), kExitConfig);
  EXPECT_EQ(error_code(cli({{"interface", "eth0"}}), {{"FORMAT", "erf"}}, &msg), kExitConfig);
  EXPECT_NE(msg.find("pcap or pcapng"), std::string::npos) << msg;
}

TEST_F(ConfigTest, BadFlagValueIsAUsageError) {
  std::string msg;
  EXPECT_EQ(error_code(cli({{"interface", "eth0"}, {"file_limit", "0"}}), {}, &msg), kExitUsage);
  EXPECT_NE(msg.find("--file-limit '0'"), std::string::npos) << msg;
  EXPECT_EQ(error_code(cli({{"interface", "eth0"}, {"file_size", "1.5"}}), {}, &msg), kExitUsage);
  EXPECT_EQ(error_code(cli({{"interface", "../etc"}}), {}, &msg), kExitUsage);
  EXPECT_EQ(error_code(cli({}), {}, &msg), kExitUsage);
  EXPECT_NE(msg.find("--interface"), std::string::npos) << msg;
}

TEST_F(ConfigTest, IniErrorsNameFileAndLine) {
  write("packet-capture.conf", "[capture]\n# comment\nfile_sise = 3\n");
  std::string msg;
  EXPECT_EQ(error_code(cli({{"interface", "eth0"}}), {}, &msg), kExitConfig);
  EXPECT_NE(msg.find("packet-capture.conf:3: unknown key 'file_sise'"), std::string::npos) << msg;
  write("packet-capture.conf", "[capture]\nsnaplen = huge\n");
  EXPECT_EQ(error_code(cli({{"interface", "eth0"}}), {}, &msg), kExitConfig);
  EXPECT_NE(msg.find(":2: snaplen = huge"), std::string::npos) << msg;
  write("packet-capture.conf", "[capturing]\nsnaplen = 1\n");
  EXPECT_EQ(error_code(cli({{"interface", "eth0"}}), {}, &msg), kExitConfig);
  EXPECT_NE(msg.find("unknown section [capturing]"), std::string::npos) << msg;
  write("packet-capture.conf", "[capture]\nthis line has no equals sign\n");
  EXPECT_EQ(error_code(cli({{"interface", "eth0"}}), {}, &msg), kExitConfig);
  EXPECT_NE(msg.find(":2:"), std::string::npos) << msg;
}

TEST_F(ConfigTest, ExplicitConfigFileMustExist) {
  std::string msg;
  EXPECT_EQ(error_code(cli({{"interface", "eth0"}, {"config", dir.file("nope.conf")}}), {}, &msg), kExitConfig);
  EXPECT_NE(msg.find("nope.conf"), std::string::npos) << msg;
}

TEST_F(ConfigTest, AdditionalArgsAreFlagsAndTheirErrorsAreConfigErrors) {
  CaptureConfig c = load_capture_config(cli({{"interface", "eth0"}}),
                                        {{"ADDITIONAL_ARGS", "-s 96 --filter 'tcp port 80' --no-promisc"}});
  EXPECT_EQ(c.snaplen, 96u);
  EXPECT_EQ(c.filter, "tcp port 80");
  EXPECT_FALSE(c.promisc);
  std::string msg;
  EXPECT_EQ(error_code(cli({{"interface", "eth0"}}), {{"ADDITIONAL_ARGS", "--bogus"}}, &msg), kExitConfig);
  EXPECT_NE(msg.find("ADDITIONAL_ARGS"), std::string::npos) << msg;
  EXPECT_EQ(error_code(cli({{"interface", "eth0"}}), {{"ADDITIONAL_ARGS", "--filter 'udp"}}, &msg), kExitConfig);
  EXPECT_NE(msg.find("unterminated quote"), std::string::npos) << msg;
}

TEST_F(ConfigTest, BudgetSmallerThanOneFileIsRejected) {
  std::string msg;
  EXPECT_EQ(error_code(cli({{"interface", "eth0"}, {"file_size", "2"}, {"max_bytes", "1000"}}), {}, &msg), kExitConfig);
  EXPECT_NE(msg.find("max_bytes 1000"), std::string::npos) << msg;
}

TEST_F(ConfigTest, DirectoriesBecomeAbsoluteForHooks) {
  CaptureConfig c = load_capture_config(cli({{"interface", "eth0"}, {"output_dir", "captures/"}, {"hooks_dir", "h.d"}}), {});
  EXPECT_EQ(c.output_dir, (std::filesystem::current_path() / "captures").string());
  EXPECT_EQ(c.hooks_dir, (std::filesystem::current_path() / "h.d").string());
}

TEST_F(ConfigTest, ReadFileNamesTheRingAfterItsStem) {
  CaptureConfig c = load_capture_config(cli({{"read", "/data/big.trace.pcap"}, {"output_dir", "/tmp/o"}}), {});
  EXPECT_EQ(c.interface_name, "big");
  EXPECT_EQ(c.read_file, "/data/big.trace.pcap");
}

TEST(ShellWords, SplitsLikeAShell) {
  std::vector<std::string> w;
  ASSERT_TRUE(split_shell_words(R"(-z /usr/bin/up.sh  --filter "tcp and port 80" 'a b'\ c x\"y)", &w));
  EXPECT_EQ(w, (std::vector<std::string>{"-z", "/usr/bin/up.sh", "--filter", "tcp and port 80", "a b c", "x\"y"}));
  ASSERT_TRUE(split_shell_words("", &w));
  EXPECT_TRUE(w.empty());
  ASSERT_TRUE(split_shell_words("''", &w));
  EXPECT_EQ(w, (std::vector<std::string>{""}));
  EXPECT_FALSE(split_shell_words("'open", &w));
}

}  // namespace
}  // namespace pcap_ring
