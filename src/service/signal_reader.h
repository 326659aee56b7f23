// The daemon's signals (SIGTERM, SIGINT, SIGUSR1, SIGHUP), read through a signalfd: they are
// blocked in the constructing thread, and every thread started later inherits the mask, so
// no code runs in signal context. Construct it before any thread starts.
#pragma once

#include <optional>

#include "common/unique_fd.h"

namespace pcap_ring {

class SignalReader {
 public:
  // Throws StartupError when the signals cannot be blocked or the signalfd not opened.
  SignalReader();

  int fd() const { return fd_.get(); }
  // The next pending signal number, or nullopt when none is waiting.
  std::optional<int> next();

 private:
  UniqueFd fd_;
};

}  // namespace pcap_ring
