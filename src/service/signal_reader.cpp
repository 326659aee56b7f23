#include "service/signal_reader.h"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>

#include "common/exit_codes.h"
#include "common/log.h"

namespace pcap_ring {

SignalReader::SignalReader() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGTERM, SIGINT, SIGUSR1, SIGHUP}) sigaddset(&set, s);
  if (pthread_sigmask(SIG_BLOCK, &set, nullptr) != 0) throw StartupError(kExitSoftware, "cannot block signals");
  int fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (fd < 0) throw StartupError(kExitSoftware, "signalfd: " + errno_text(errno));
  fd_ = UniqueFd(fd);
}

std::optional<int> SignalReader::next() {
  struct signalfd_siginfo info {};
  if (::read(fd_.get(), &info, sizeof info) != static_cast<ssize_t>(sizeof info)) return std::nullopt;
  return static_cast<int>(info.ssi_signo);
}

}  // namespace pcap_ring
