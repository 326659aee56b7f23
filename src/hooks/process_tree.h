// Every process a hook started, however it detached (setsid, double fork, ignored SIGTERM):
// a process group is not enough, so descendants are found through /proc parent links and
// held by pidfd, which keeps signals from reaching a reused pid.
#pragma once

#include <sys/types.h>

#include <map>

#include "common/unique_fd.h"

namespace pcap_ring {

class ProcessTree {
 public:
  explicit ProcessTree(pid_t root) : root_(root) {}

  // Adds every running process whose parent is the root or a process already collected.
  // Called repeatedly: a child whose parent exited later stays known.
  void collect();
  // Sends `sig` to every collected process (the root not included) that still runs.
  void signal_all(int sig);
  // Ends the whole tree: the root (unless `root_reaped`) and every descendant are stopped and
  // collected until no new one appears, so none can fork out of reach, then killed; returns
  // once they have exited (at most about a second later).
  void kill_all(bool root_reaped);
  // True while a collected process has not exited.
  bool any_alive() const;

 private:
  pid_t root_;
  std::map<pid_t, UniqueFd> members_;  // pid -> pidfd
};

}  // namespace pcap_ring
