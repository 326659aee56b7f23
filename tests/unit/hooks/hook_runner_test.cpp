#include "hooks/hook_runner.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "support/test_support.h"

namespace pcap_ring {
namespace {

class HookRunnerTest : public ::testing::Test {
 protected:
  std::string script(const std::string& name, const std::string& body) {
    return testing::write_script(dir.file(name), body);
  }
  HookInvocation inv(const std::string& path) {
    HookInvocation i;
    i.name = "t";
    i.argv = {path, "/the/file.pcap"};
    i.env = {"PATH=/usr/bin:/bin", "PCAP_SEQUENCE=7"};
    i.timeout = std::chrono::seconds(10);
    return i;
  }
  testing::TempDir dir;
};

TEST_F(HookRunnerTest, ExitStatusArgumentsAndEnvironment) {
  auto out = run_hook(inv(script("ok", "[ \"$1\" = /the/file.pcap ] && [ \"$PCAP_SEQUENCE\" = 7 ] || exit 9\nexit 0")));
  EXPECT_TRUE(out.succeeded()) << out.describe();
  out = run_hook(inv(script("tf", "exit 75")));
  EXPECT_EQ(out.exit_code, 75);
  EXPECT_FALSE(out.succeeded());
}

TEST_F(HookRunnerTest, StdinIsDevNullAndStderrTailIsKept) {
  auto out = run_hook(inv(script("err", "read x && exit 4\necho first >&2\necho boom >&2\nexit 3")));
  EXPECT_EQ(out.exit_code, 3);
  EXPECT_EQ(out.stderr_tail, "first\nboom\n");
}

TEST_F(HookRunnerTest, NoCapabilitiesInTheHook) {
  auto out = run_hook(inv(script("caps",
                                 "grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb):' /proc/self/status | grep -v '0000000000000000$' >&2 && exit 1\n"
                                 "exit 0")));
  EXPECT_TRUE(out.succeeded()) << out.describe() << " " << out.stderr_tail;
}

TEST_F(HookRunnerTest, TimeoutEndsTheWholeProcessGroup) {
  std::string pidfile = dir.file("child.pid");
  auto i = inv(script("hang", "sleep 1000 & echo $! > " + pidfile + "\nwait"));
  i.timeout = std::chrono::milliseconds(300);
  i.kill_grace = std::chrono::milliseconds(300);
  auto start = std::chrono::steady_clock::now();
  auto out = run_hook(i);
  EXPECT_TRUE(out.timed_out);
  EXPECT_FALSE(out.succeeded());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  std::string pid;
  std::ifstream(pidfile) >> pid;
  ASSERT_FALSE(pid.empty());
  // The background child got the group's SIGTERM too: gone, or a zombie awaiting its reaper.
  std::string content;
  bool ended = testing::wait_until([&] {
    std::ifstream stat("/proc/" + pid + "/stat");
    content.clear();
    std::getline(stat, content);
    return content.empty() || content.find(") Z") != std::string::npos;
  }, std::chrono::seconds(5));
  EXPECT_TRUE(ended) << content;
}

TEST_F(HookRunnerTest, MissingExecutableIsReported) {
  auto out = run_hook(inv(dir.file("nope")));
  EXPECT_FALSE(out.succeeded());
  EXPECT_EQ(out.exit_code, 127);
  EXPECT_NE(out.stderr_tail.find("No such file"), std::string::npos) << out.stderr_tail;
}

TEST_F(HookRunnerTest, CancelEndsARunningHook) {
  std::atomic<bool> cancel{true};
  auto i = inv(script("slow", "sleep 30"));
  i.kill_grace = std::chrono::milliseconds(200);
  auto out = run_hook(i, &cancel);
  EXPECT_TRUE(out.cancelled);
  EXPECT_EQ(out.signal, SIGTERM);
}

}  // namespace
}  // namespace pcap_ring
