#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "cli/capture_flags.h"
#include "cli/hook_s3_command.h"
#include "cli/hook_stage_command.h"
#include "cli/list_command.h"
#include "cli/run_command.h"
#include "cli/subcommand.h"
#include "common/exit_codes.h"
#include "support/test_support.h"

namespace pcap_ring {
namespace {

// Parses `args` (after the program name) with `app`.
void parse(CLI::App& app, std::vector<std::string> args) {
  std::reverse(args.begin(), args.end());  // CLI11 pops from the back
  app.parse(args);
}

TEST(RunFlags, ShortAndLongFlagsBecomeSettings) {
  CLI::App app;
  CaptureFlags flags(app);
  parse(app, {"-i", "eth0", "-C", "5", "--file-limit=7", "-z", "/bin/up.sh -v", "--no-promisc", "-s", "96"});
  RawSettings raw = flags.collect();
  EXPECT_EQ(raw.values, (std::map<std::string, std::string>{{"interface", "eth0"},
                                                            {"file_size", "5"},
                                                            {"file_limit", "7"},
                                                            {"post_rotate", "/bin/up.sh -v"},
                                                            {"promisc", "no"},
                                                            {"snaplen", "96"}}));
}

TEST(RunFlags, AdditionalArgsWordsAreParsedLikeTheCommandLine) {
  testing::TempDir dir;
  RawSettings raw;
  raw.values = {{"interface", "eth0"}, {"config_dir", dir.path()}};
  CaptureConfig c = load_capture_config(
      raw, {{"ADDITIONAL_ARGS", "-z '/usr/bin/up.sh --fast' --filter \"tcp port 80\" -C3 --promisc"}});
  EXPECT_EQ(c.post_rotate, "/usr/bin/up.sh --fast");
  EXPECT_EQ(c.filter, "tcp port 80");
  EXPECT_EQ(c.file_size_mb, 3u);
  EXPECT_TRUE(c.promisc);
  EXPECT_EQ(parse_capture_flag_words({"-z", "x"}).values.at("post_rotate"), "x");
  EXPECT_THROW(parse_capture_flag_words({"--bogus"}), std::exception);
}

TEST(HookFlags, StageFlagsComeFromTheSettingsTable) {
  CLI::App app;
  CLI::App* s3 = app.add_subcommand("s3");
  auto line = add_stage_flags(s3, settings_for<S3Settings>(), "dir", true);
  parse(app, {"s3", "/tmp/f.pcap", "--bucket", "b-1", "--part-size-mb", "8", "--config-dir", "/c"});
  EXPECT_EQ(line->file, "/tmp/f.pcap");
  EXPECT_EQ(line->flags(), (std::map<std::string, std::string>{{"bucket", "b-1"}, {"part_size_mb", "8"}, {"config_dir", "/c"}}));
}

class ExitStatusTest : public ::testing::Test {
 protected:
  int run(std::vector<std::string> args) {
    CLI::App app{"test"};
    app.require_subcommand(1);
    std::vector<Subcommand> commands{add_run_command(app), add_list_command(app)};
    CLI::App* hook = app.add_subcommand("hook");
    hook->require_subcommand(1);
    commands.push_back(add_hook_s3_command(*hook));
    args.insert(args.begin(), "packet-capture");
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    return execute(app, commands, static_cast<int>(argv.size()), argv.data());
  }
  testing::TempDir dir;
};

TEST_F(ExitStatusTest, BadFlagIsUsageError) {
  EXPECT_EQ(run({"run", "--bogus"}), kExitUsage);
  EXPECT_EQ(run({"run", "-i", "lo", "--config-dir", dir.path(), "-C", "0"}), kExitUsage);
  EXPECT_EQ(run({"list"}), kExitUsage);
  EXPECT_EQ(run({"hook", "s3"}), kExitUsage);
  EXPECT_EQ(run({"hook", "s3", dir.file("f.pcap"), "--config-dir", dir.path(), "--part-size-mb", "1"}), kExitUsage);
}

TEST_F(ExitStatusTest, BadConfigurationIsConfigError) {
  EXPECT_EQ(run({"run", "-i", "lo", "--config", dir.file("absent.conf")}), kExitConfig);
  std::ofstream(dir.file("packet-capture.conf")) << "[capture]\nsnaplen = lots\n";
  EXPECT_EQ(run({"run", "-i", "lo", "--config-dir", dir.path()}), kExitConfig);
  EXPECT_EQ(run({"list", "-o", dir.file("absent")}), kExitConfig);
  EXPECT_EQ(run({"hook", "s3", dir.file("f.pcap"), "--config-dir", dir.path()}), kExitConfig);  // no bucket
}

}  // namespace
}  // namespace pcap_ring
