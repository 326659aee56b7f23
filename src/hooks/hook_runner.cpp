#include "hooks/hook_runner.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "common/log.h"
#include "common/unique_fd.h"
#include "hooks/orphan_reaper.h"
#include "hooks/process_tree.h"

namespace pcap_ring {
namespace {

constexpr std::size_t kStderrTailBytes = 1024;

// In the child between fork and exec: only async-signal-safe system calls.
void drop_all_capabilities() {
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  // Without the bounding set, exec as root cannot regain capabilities either.
  for (int cap = 0; cap <= 63; ++cap) prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
  struct __user_cap_header_struct header {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  syscall(SYS_capset, &header, data);
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

[[noreturn]] void exec_child(const HookInvocation& inv, char* const* argv, char* const* envp,
                             int out_fd, int err_fd) {
  setpgid(0, 0);
  int devnull = ::open("/dev/null", O_RDONLY);
  if (devnull >= 0) dup2(devnull, STDIN_FILENO);
  else ::close(STDIN_FILENO);  // no /dev/null: no stdin at all rather than the daemon's
  dup2(out_fd, STDOUT_FILENO);
  dup2(err_fd, STDERR_FILENO);
  // Nothing else of the daemon's reaches a hook: libpcap's capture socket is not opened
  // close-on-exec, and a hook holding it could read the capture ring.
  syscall(SYS_close_range, 3U, ~0U, 0U);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);  // the daemon blocks signals; hooks must not inherit that
  // systemd starts services with SIGPIPE ignored; a shell pipeline in a hook expects the default.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigaction(SIGPIPE, &dfl, nullptr);
  drop_all_capabilities();
  execve(inv.argv[0].c_str(), argv, envp);
  const char* msg = "cannot execute hook: ";
  ssize_t rc = ::write(STDERR_FILENO, msg, std::strlen(msg));
  const char* reason = strerrordesc_np(errno);
  rc = ::write(STDERR_FILENO, reason, std::strlen(reason));
  rc = ::write(STDERR_FILENO, "\n", 1);
  (void)rc;
  _exit(errno == ENOENT ? 127 : 126);
}

// Splits what a hook writes into lines for the log.
class LineLogger {
 public:
  LineLogger(std::string prefix, bool is_stderr, std::string hook, std::string file)
      : prefix_(std::move(prefix)), stderr_(is_stderr), hook_(std::move(hook)), file_(std::move(file)) {}
  void feed(const char* data, std::size_t n, std::string* tail) {
    buffer_.append(data, n);
    std::size_t pos;
    while ((pos = buffer_.find('\n')) != std::string::npos) {
      emit(buffer_.substr(0, pos), tail);
      buffer_.erase(0, pos + 1);
    }
    if (buffer_.size() > 4096) {  // an endless line is logged in pieces
      emit(buffer_, tail);
      buffer_.clear();
    }
  }
  void finish(std::string* tail) {
    if (!buffer_.empty()) emit(buffer_, tail);
    buffer_.clear();
  }

 private:
  void emit(const std::string& line, std::string* tail) {
    log::write(stderr_ ? log::Level::kWarning : log::Level::kInfo, prefix_ + line,
               {{"HOOK", hook_}, {"PCAP_FILE", file_}});
    if (stderr_ && tail) {
      *tail += line;
      *tail += '\n';
      if (tail->size() > kStderrTailBytes) tail->erase(0, tail->size() - kStderrTailBytes);
    }
  }
  std::string prefix_;
  bool stderr_;
  std::string hook_, file_;
  std::string buffer_;
};

}  // namespace

std::string HookOutcome::describe() const {
  if (!started) return "did not start: " + error;
  std::string what = signal ? std::string("killed by ") + sigabbrev_np(signal) : "exit " + std::to_string(exit_code);
  if (timed_out) what += " after its timeout";
  if (cancelled) what += " at shutdown";
  return what;
}

namespace {

// A started hook: its process, a pidfd to wait on, and the read ends of its stdout and stderr.
struct SpawnedHook {
  pid_t pid = -1;
  UniqueFd out_r, err_r, pidfd;
};

// Starts the hook in its own process group; false with *error when it could not start.
bool spawn_hook(const HookInvocation& inv, SpawnedHook* hook, std::string* error) {
  if (inv.argv.empty()) {
    *error = "no command";
    return false;
  }
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    *error = "pipe: " + errno_text(errno);
    return false;
  }
  UniqueFd out_r(out_pipe[0]), out_w(out_pipe[1]);
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    *error = "pipe: " + errno_text(errno);
    return false;
  }
  UniqueFd err_r(err_pipe[0]), err_w(err_pipe[1]);

  // Everything the child needs is prepared before fork: no allocation after it.
  std::vector<char*> argv, envp;
  for (const auto& a : inv.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : inv.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  auto own_children = prepare_fork_of_own_child();
  pid_t pid = fork();
  if (pid < 0) {
    *error = "fork: " + errno_text(errno);
    return false;
  }
  if (pid == 0) exec_child(inv, argv.data(), envp.data(), out_w.get(), err_w.get());
  register_own_child(pid);
  own_children.unlock();
  setpgid(pid, pid);  // also from the parent, so the group exists before any kill
  hook->pid = pid;
  hook->out_r = std::move(out_r);
  hook->err_r = std::move(err_r);
  hook->pidfd.reset(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  return true;
}

// Reads what is ready on one of the hook's pipes into its logger; closes the pipe at its end.
void drain_pipe(UniqueFd& fd, const pollfd* polled, LineLogger& logger, std::string* tail) {
  if (!polled || !(polled->revents & (POLLIN | POLLHUP | POLLERR))) return;
  char buf[4096];
  ssize_t got = ::read(fd.get(), buf, sizeof buf);
  if (got > 0) logger.feed(buf, static_cast<std::size_t>(got), tail);
  else if (got == 0 || (errno != EINTR && errno != EAGAIN)) fd.reset();
}

}  // namespace

HookOutcome run_hook(const HookInvocation& inv, const std::atomic<bool>* cancel) {
  HookOutcome outcome;
  SpawnedHook child;
  if (!spawn_hook(inv, &child, &outcome.error)) return outcome;
  outcome.started = true;
  const pid_t pid = child.pid;
  UniqueFd& out_r = child.out_r;
  UniqueFd& err_r = child.err_r;
  UniqueFd& pidfd = child.pidfd;

  const std::string& file = inv.argv.back();
  LineLogger out_log("hook " + inv.name + ": ", false, inv.name, file);
  LineLogger err_log("hook " + inv.name + ": ", true, inv.name, file);
  auto start = std::chrono::steady_clock::now();
  auto deadline = start + inv.timeout;
  std::chrono::steady_clock::time_point kill_at{};
  bool exited = false;
  int status = 0;
  std::chrono::steady_clock::time_point exited_at{};
  auto reap = [&](int flags) {
    pid_t r = waitpid(pid, &status, flags);
    if (r == pid) {
      exited = true;
      exited_at = std::chrono::steady_clock::now();
      forget_own_child(pid);
    }
  };
  // What the hook started, even detached from its group, ends with it at timeout or cancel.
  ProcessTree tree(pid);
  auto next_collect = start;
  bool tree_killed = false;

  auto tree_outlives_hook = [&] {
    return kill_at != std::chrono::steady_clock::time_point{} && !tree_killed && tree.any_alive();
  };
  while (!exited || out_r.valid() || err_r.valid() || tree_outlives_hook()) {
    auto now = std::chrono::steady_clock::now();
    const bool ending = kill_at != std::chrono::steady_clock::time_point{};
    if ((!exited || ending) && !tree_killed && now >= next_collect) {
      tree.collect();  // once a second while it runs, so children whose parent left stay known
      next_collect = ending ? now : now + std::chrono::seconds(1);
    }
    if (!exited && !ending && (now >= deadline || (cancel && cancel->load()))) {
      if (now >= deadline) outcome.timed_out = true;
      else outcome.cancelled = true;
      tree.collect();
      kill(-pid, SIGTERM);
      tree.signal_all(SIGTERM);
      kill_at = now + inv.kill_grace;
    }
    if (ending && !tree_killed && now >= kill_at) {
      tree.kill_all(/*root_reaped=*/exited);
      tree_killed = true;
    }
    struct pollfd fds[3];
    int n = 0;
    int out_idx = -1, err_idx = -1, pid_idx = -1;
    if (out_r.valid()) { out_idx = n; fds[n++] = {out_r.get(), POLLIN, 0}; }
    if (err_r.valid()) { err_idx = n; fds[n++] = {err_r.get(), POLLIN, 0}; }
    if (!exited && pidfd.valid()) { pid_idx = n; fds[n++] = {pidfd.get(), POLLIN, 0}; }
    int wait_ms = exited ? 200 : 100;
    int rc = ::poll(fds, static_cast<nfds_t>(n), wait_ms);
    if (rc < 0 && errno != EINTR) break;
    drain_pipe(out_r, out_idx >= 0 ? &fds[out_idx] : nullptr, out_log, nullptr);
    drain_pipe(err_r, err_idx >= 0 ? &fds[err_idx] : nullptr, err_log, &outcome.stderr_tail);
    if (!exited) {
      if (!pidfd.valid() || (pid_idx >= 0 && (fds[pid_idx].revents & POLLIN))) reap(pidfd.valid() ? 0 : WNOHANG);
    } else if (tree_outlives_hook()) {
      continue;  // ended by timeout or cancel: what it left gets the rest of the grace, then SIGKILL
    } else if (rc == 0 || std::chrono::steady_clock::now() - exited_at > std::chrono::seconds(2)) {
      // The hook is gone and its pipes are quiet: a child it left in the background may
      // still hold them, but it is not ours to wait for.
      break;
    }
  }
  if (!exited) reap(0);
  out_log.finish(nullptr);
  err_log.finish(&outcome.stderr_tail);
  if (WIFEXITED(status)) outcome.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) outcome.signal = WTERMSIG(status);
  return outcome;
}

}  // namespace pcap_ring
