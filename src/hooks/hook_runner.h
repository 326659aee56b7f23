// Runs one hook process the way the hook contract promises: argument = the finished file,
// stdin /dev/null, stdout/stderr read line by line into the log under the hook's name, no
// capabilities, its own process group, and a timeout (SIGTERM, then SIGKILL to the group and to
// every process the hook started, however it detached; see process_tree.h, orphan_reaper.h).
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

namespace pcap_ring {

struct HookInvocation {
  std::string name;               // shown in logs
  std::vector<std::string> argv;  // argv[0] is the executable's path
  std::vector<std::string> env;   // complete environment, "KEY=VALUE"
  std::chrono::milliseconds timeout{300'000};
  std::chrono::milliseconds kill_grace{5'000};  // between SIGTERM and SIGKILL
};

struct HookOutcome {
  bool started = false;   // false: fork/exec failed (see error)
  int exit_code = -1;     // when it exited
  int signal = 0;         // when a signal ended it
  bool timed_out = false;
  bool cancelled = false;
  std::string error;        // why it did not start
  std::string stderr_tail;  // the last lines it wrote on stderr
  bool succeeded() const { return started && exit_code == 0; }
  std::string describe() const;  // "exit 3", "killed by SIGKILL after timeout", ...
};

// `cancel`, when set during the run, ends the hook like a timeout (used at shutdown).
HookOutcome run_hook(const HookInvocation& invocation, const std::atomic<bool>* cancel = nullptr);

}  // namespace pcap_ring
