#include "service/on_demand_capture.h"

#include <signal.h>
#include <sys/prctl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>
#include <vector>

#include "common/birth_time.h"
#include "common/log.h"
#include "common/unique_fd.h"

namespace pcap_ring {
namespace {

constexpr const char* kFileSizeMb = "10";
constexpr const char* kFileLimit = "10";
constexpr auto kStartTimeout = std::chrono::seconds(10);

// When the capture's first file was created (its birth time), or 0 while there is none.
NanoTime capture_file_born(const std::string& directory) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(directory, ec)) {
    if (!entry.path().filename().string().ends_with(".part")) continue;
    const NanoTime born = birth_time(AT_FDCWD, entry.path());
    return born != 0 ? born : SystemClock().now();  // no birth time here: now is a little late, never early
  }
  return 0;
}

}  // namespace

OnDemandCapture::~OnDemandCapture() { stop(); }

bool OnDemandCapture::start(const std::string& interface_name, const std::string& directory,
                            const std::string& filter, std::uint32_t snaplen, std::string* error) {
  std::error_code ec;
  std::filesystem::remove_all(directory, ec);  // an earlier try's ring (the agent stopped mid-request)
  // The child reads no configuration and runs no hooks: both directories stay empty.
  for (const char* sub_directory : {"/ring", "/config", "/hooks.d"})
    if (!ec) std::filesystem::create_directories(directory + sub_directory, ec);
  if (ec) {
    *error = "cannot create " + directory + ": " + ec.message();
    return false;
  }
  ::chmod(directory.c_str(), 0700);
  directory_ = directory;
  // Everything the child needs is made before fork: the agent has threads.
  std::vector<std::string> args = {"packet-capture", "run", "--interface", interface_name, "--output-dir", directory + "/ring",
                                   "--config-dir", directory + "/config", "--hooks-dir", directory + "/hooks.d",
                                   "--file-size", kFileSizeMb, "--file-limit", kFileLimit, "--flow-index", "no"};
  if (!filter.empty()) args.insert(args.end(), {"--filter", filter});
  if (snaplen != 0) args.insert(args.end(), {"--snaplen", std::to_string(snaplen)});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  char path_env[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
  char* envp[] = {path_env, nullptr};
  const pid_t parent = ::getpid();
  sigset_t none;
  sigemptyset(&none);
  pid_t pid = ::fork();
  if (pid < 0) {
    *error = "cannot start a capture: fork: " + errno_text(errno);
    return false;
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(70);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);  // the agent reads its signals from a signalfd
    ::execve("/proc/self/exe", argv.data(), envp);
    ::_exit(127);
  }
  pid_ = pid;
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      *error = "the capture on " + interface_name + " ended at start (exit " +
               std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)) + ")";
      return false;
    }
    if ((started_at_ = capture_file_born(directory + "/ring")) != 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  *error = "the capture on " + interface_name + " did not start within 10 s";
  stop();
  return false;
}

void OnDemandCapture::stop() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 100 && ::waitpid(pid_, &status, WNOHANG) == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (::waitpid(pid_, &status, WNOHANG) == 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
    pid_ = -1;
  }
  if (!directory_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(directory_, ec);
    if (ec) log::warning("cannot remove the on-demand ring " + directory_ + ": " + ec.message());
    ::rmdir(std::filesystem::path(directory_).parent_path().c_str());  // the request's, once its last interface is done
    directory_.clear();
  }
}

}  // namespace pcap_ring
