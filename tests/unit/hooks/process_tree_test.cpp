#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "hooks/hook_runner.h"
#include "hooks/orphan_reaper.h"
#include "support/test_support.h"

namespace pcap_ring {
namespace {

// Fields of /proc/PID/stat after the command name: state and parent pid.
struct ProcState {
  char state = 0;
  pid_t ppid = 0;
};

std::map<pid_t, ProcState> processes_with_cmdline(const std::string& needle) {
  std::map<pid_t, ProcState> found;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream cmd(e.path() / "cmdline");
    std::string text((std::istreambuf_iterator<char>(cmd)), std::istreambuf_iterator<char>());
    if (text.find(needle) == std::string::npos) continue;
    std::ifstream stat(e.path() / "stat");
    std::string line;
    std::getline(stat, line);
    auto paren = line.rfind(')');
    if (paren == std::string::npos) continue;
    ProcState s;
    std::istringstream(line.substr(paren + 2)) >> s.state >> s.ppid;
    found[std::stoi(name)] = s;
  }
  return found;
}

std::size_t zombie_children() {
  std::size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(e.path() / "stat");
    std::string line;
    std::getline(stat, line);
    auto paren = line.rfind(')');
    if (paren == std::string::npos) continue;
    char state = 0;
    pid_t ppid = 0;
    std::istringstream(line.substr(paren + 2)) >> state >> ppid;
    if (ppid == getpid() && state == 'Z') ++n;
  }
  return n;
}

TEST(HookProcessTree, TimeoutEndsDetachedGrandchildrenThatIgnoreSigterm) {
  testing::TempDir dir;
  std::string marker = "987654.25";  // a sleep no other process runs
  std::string path = dir.file("detach");
  std::ofstream(path) << "#!/bin/sh\n"
                      << "setsid sh -c 'trap \"\" TERM; sleep " << marker << "' </dev/null >/dev/null 2>&1 &\n"
                      << "setsid sh -c 'trap \"\" TERM; sleep " << marker << "' &\n"
                      << "trap '' TERM\nsleep 1000\n";
  chmod(path.c_str(), 0755);
  HookInvocation inv;
  inv.name = "detach";
  inv.argv = {path, "/the/file.pcap"};
  inv.env = {"PATH=/usr/bin:/bin"};
  inv.timeout = std::chrono::milliseconds(500);
  inv.kill_grace = std::chrono::milliseconds(300);
  auto out = run_hook(inv);
  EXPECT_TRUE(out.timed_out) << out.describe();
  // Nothing of the tree runs any more; what is left are zombies awaiting the reaper.
  for (const auto& [pid, s] : processes_with_cmdline(std::string("sleep\0", 6) + marker))
    ADD_FAILURE() << "pid " << pid << " state " << s.state << " survived the timeout";
  // Adopted orphans are reaped: no zombie children accumulate.
  for (int i = 0; i < 30 && zombie_children() > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(zombie_children(), 0u);
}

TEST(HookProcessTree, OrphanReaperLeavesOwnChildrenToTheirWaiter) {
  auto lock = prepare_fork_of_own_child();
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) _exit(7);
  register_own_child(pid);
  lock.unlock();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  reap_adopted_orphans();
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  forget_own_child(pid);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 7);
}

}  // namespace
}  // namespace pcap_ring
