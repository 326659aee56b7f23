// Tells the outside world how the daemon is doing: systemd's STATUS= line, the status file
// in the ring directory and the optional Prometheus metrics file, all from one snapshot of
// the live counters and the hook pipeline.
#pragma once

#include <string>

#include "capture/packet_source.h"
#include "hooks/hook_pipeline.h"
#include "service/live_stats.h"
#include "service/notifier.h"

namespace pcap_ring {

class Reporter {
 public:
  Reporter(LiveStats& live, HookPipeline& hooks, Notifier& notifier, std::string status_path)
      : live_(live), hooks_(hooks), notifier_(notifier), status_path_(std::move(status_path)) {}

  LiveSnapshot snapshot();
  // STATUS=, the status file and (when `metrics_file` is set) the metrics file. Write
  // errors are logged; the daemon keeps running.
  void publish(const LiveSnapshot& s, const std::string& metrics_file);
  // READY=1 with the status line of `s`.
  void ready(const LiveSnapshot& s);

 private:
  LiveStats& live_;
  HookPipeline& hooks_;
  Notifier& notifier_;
  const std::string status_path_;
};

// The line logged at exit: "captured=… dropped=… written=… …".
std::string summary_line(std::uint64_t captured_packets, const CaptureCounters& capture, const LiveSnapshot& s);

}  // namespace pcap_ring
