#include "service/reporter.h"

#include "common/atomic_file.h"
#include "common/log.h"
#include "common/unique_fd.h"
#include "service/service_report.h"

namespace pcap_ring {

LiveSnapshot Reporter::snapshot() {
  LiveSnapshot s = live_.snapshot();
  HookPipelineSnapshot h = hooks_.snapshot();
  s.hook_backlog = h.backlog;
  s.hooks_running = h.running;
  s.hooks = h.stats;
  return s;
}

void Reporter::publish(const LiveSnapshot& s, const std::string& metrics_file) {
  notifier_.status(status_line(s));
  if (int err = write_file_atomically(status_path_, status_json(s)); err != 0)
    log::warning("cannot write the status file " + status_path_ + ": " + errno_text(err));
  if (!metrics_file.empty())
    if (int err = write_file_atomically(metrics_file, metrics_text(s)); err != 0)
      log::warning("cannot write the metrics file " + metrics_file + ": " + errno_text(err));
}

void Reporter::ready(const LiveSnapshot& s) { notifier_.ready(status_line(s)); }

std::string summary_line(std::uint64_t captured_packets, const CaptureCounters& capture, const LiveSnapshot& s) {
  return "captured=" + std::to_string(captured_packets) + " dropped=" + std::to_string(capture.dropped) +
         " written=" + std::to_string(s.ring.packets_written) + " lost_to_disk=" + std::to_string(s.ring.packets_lost) +
         " files=" + std::to_string(s.ring.files_finished) + " deleted=" + std::to_string(s.ring.files_deleted) +
         " hooks_ok=" + std::to_string(s.hooks.stages_succeeded) + " hooks_failed=" + std::to_string(s.hooks.stages_failed) +
         " hooks_pending=" + std::to_string(s.hook_backlog) + " evicted=" + std::to_string(s.ring.files_evicted);
}

}  // namespace pcap_ring
