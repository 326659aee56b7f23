#include "hooks/orphan_reaper.h"

#include <sys/prctl.h>
#include <sys/wait.h>

#include <chrono>
#include <set>
#include <thread>

#include "common/log.h"
#include "common/unique_fd.h"

namespace pcap_ring {
namespace {

struct OwnChildren {
  std::mutex mutex;
  std::set<pid_t> pids;
};

// Never destroyed: the reaping thread may still run while the process exits.
OwnChildren& own_children() {
  static OwnChildren* children = new OwnChildren;
  return *children;
}

void reap_locked(const std::set<pid_t>& own) {
  for (;;) {
    siginfo_t info {};
    // Look without reaping: an exited child of our own is its waiter's to collect.
    if (::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid == 0) return;
    if (own.count(info.si_pid)) return;  // its waiter collects it soon; the rest wait a round
    ::waitpid(info.si_pid, nullptr, WNOHANG);
  }
}

void start_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
      log::warning("cannot become a child subreaper (" + errno_text(errno) +
                   "): processes a hook detaches may outlive its timeout");
    std::thread([] {
      for (;;) {
        std::this_thread::sleep_for(std::chrono::seconds(1));
        reap_adopted_orphans();
      }
    }).detach();
  });
}

}  // namespace

std::unique_lock<std::mutex> prepare_fork_of_own_child() {
  start_once();
  return std::unique_lock<std::mutex>(own_children().mutex);
}

void register_own_child(pid_t pid) { own_children().pids.insert(pid); }

void forget_own_child(pid_t pid) {
  std::lock_guard<std::mutex> lock(own_children().mutex);
  own_children().pids.erase(pid);
}

void reap_adopted_orphans() {
  std::lock_guard<std::mutex> lock(own_children().mutex);
  reap_locked(own_children().pids);
}

}  // namespace pcap_ring
