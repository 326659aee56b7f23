// The process running hooks is made a child subreaper, so what a hook leaves behind (setsid,
// double fork) is re-parented to it rather than to init, where a timeout can still end it.
// Those adopted orphans are reaped here; children the daemon started itself are registered and
// left to their own waitpid, so no exit status is taken from the code that waits for it.
#pragma once

#include <sys/types.h>

#include <mutex>

namespace pcap_ring {

// Makes the process a child subreaper and starts the reaping thread (once, on first use).
// Returns the lock to hold across fork() until register_own_child() ran for the new child.
std::unique_lock<std::mutex> prepare_fork_of_own_child();
void register_own_child(pid_t pid);  // with the lock from prepare_fork_of_own_child() held
void forget_own_child(pid_t pid);    // after its waitpid() returned it

// Reaps every exited child that is not registered (normally done by the thread every second).
void reap_adopted_orphans();

}  // namespace pcap_ring
