#include "hooks/process_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <charconv>
#include <cstdint>
#include <cstring>
#include <set>
#include <string>
#include <vector>

namespace pcap_ring {
namespace {

// The parent pid from /proc/PID/stat ("pid (comm) state ppid ..."; comm may hold spaces and
// parentheses, so parsing starts after the last ')'). -1 when the process is gone.
pid_t parent_of(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char buf[512];
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return -1;
  buf[n] = '\0';
  const char* close_paren = std::strrchr(buf, ')');
  if (!close_paren || close_paren + 4 >= buf + n) return -1;
  const char* p = close_paren + 4;  // ") S " then the ppid
  pid_t ppid = -1;
  if (std::from_chars(p, buf + n, ppid).ec != std::errc()) return -1;
  return ppid;
}

std::vector<std::pair<pid_t, pid_t>> all_processes() {
  std::vector<std::pair<pid_t, pid_t>> out;
  DIR* proc = ::opendir("/proc");
  if (!proc) return out;
  while (struct dirent* e = ::readdir(proc)) {
    pid_t pid = 0;
    const char* end = e->d_name + std::strlen(e->d_name);
    if (std::from_chars(e->d_name, end, pid).ptr != end || pid <= 0) continue;
    pid_t ppid = parent_of(pid);
    if (ppid > 0) out.emplace_back(pid, ppid);
  }
  ::closedir(proc);
  return out;
}

}  // namespace

void ProcessTree::collect() {
  auto processes = all_processes();
  std::set<pid_t> known{root_};
  for (const auto& [pid, fd] : members_) known.insert(pid);
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& [pid, ppid] : processes) {
      if (known.count(pid) || !known.count(ppid)) continue;
      UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
      // The pidfd names this process only if its parent is still one of the tree's: the
      // pid may have been reused since /proc was listed.
      if (!pidfd.valid() || !known.count(parent_of(pid))) continue;
      members_.emplace(pid, std::move(pidfd));
      known.insert(pid);
      grew = true;
    }
  }
}

void ProcessTree::signal_all(int sig) {
  for (const auto& [pid, pidfd] : members_) syscall(SYS_pidfd_send_signal, pidfd.get(), sig, nullptr, 0);
}

void ProcessTree::kill_all(bool root_reaped) {
  if (!root_reaped) ::kill(-root_, SIGSTOP);
  for (std::size_t before = SIZE_MAX; before != members_.size();) {
    before = members_.size();
    collect();
    signal_all(SIGSTOP);
  }
  signal_all(SIGKILL);
  if (!root_reaped) ::kill(-root_, SIGKILL);
  // SIGKILL is not instant: wait (briefly) until they are gone, so the caller can rely on it.
  for (int i = 0; i < 100 && any_alive(); ++i) ::usleep(10'000);
}

bool ProcessTree::any_alive() const {
  for (const auto& [pid, pidfd] : members_) {
    struct pollfd p {pidfd.get(), POLLIN, 0};
    if (::poll(&p, 1, 0) == 0) return true;  // a pidfd turns readable when its process exits
  }
  return false;
}

}  // namespace pcap_ring
