// A bounded capture of the agent's own, for a live request on an interface that has no ring
// (only where [agent] on_demand = yes): `packet-capture run` as a child process writing a small
// ring (10 files of 10 MB, no hooks, no flow index) in the agent's state directory, which the
// request's extraction follows like any live ring. The child gets a clean environment (no
// NOTIFY_SOCKET, no capture settings of the agent's), dies with the agent (PR_SET_PDEATHSIG),
// and the ring is removed when the request is done.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "common/timestamp.h"

namespace pcap_ring {

class OnDemandCapture {
 public:
  OnDemandCapture() = default;
  OnDemandCapture(const OnDemandCapture&) = delete;
  OnDemandCapture& operator=(const OnDemandCapture&) = delete;
  ~OnDemandCapture();

  // Starts capturing on `interface_name` into `directory`/ring (`directory` made empty first)
  // and waits until the capture runs. False with *error (the child's exit status or the reason).
  [[nodiscard]] bool start(const std::string& interface_name, const std::string& directory, const std::string& filter,
                           std::uint32_t snaplen, std::string* error);
  // Ends the capture (SIGTERM: it finishes its file) and removes its ring.
  void stop();
  // When the capture began: its first file's birth time, the start of what it covers.
  NanoTime started_at() const { return started_at_; }

 private:
  pid_t pid_ = -1;
  std::string directory_;
  NanoTime started_at_ = 0;
};

}  // namespace pcap_ring
