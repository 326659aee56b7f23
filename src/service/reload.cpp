#include "service/reload.h"

#include <string>
#include <vector>

#include "common/exit_codes.h"
#include "common/log.h"

namespace pcap_ring {
namespace {

// Settings a reload cannot change on a running capture; they wait for a restart.
std::vector<std::string> restart_only_changes(const CaptureConfig& a, const CaptureConfig& b) {
  std::vector<std::string> changed;
  if (a.output_dir != b.output_dir) changed.push_back("output_dir");
  if (a.prefix != b.prefix) changed.push_back("prefix");
  if (a.snaplen != b.snaplen) changed.push_back("snaplen");
  if (a.buffer_size_mb != b.buffer_size_mb) changed.push_back("buffer_size");
  if (a.promisc != b.promisc) changed.push_back("promisc");
  if (a.format != b.format) changed.push_back("format");
  if (a.tstamp != b.tstamp) changed.push_back("tstamp");
  if (a.hook_jobs != b.hook_jobs) changed.push_back("hook_jobs");
  if (a.direct_io != b.direct_io) changed.push_back("direct_io");
  return changed;
}

}  // namespace

void apply_reload(CaptureConfig& running, const CaptureConfig& reread) {
  if (reread.interface_name != running.interface_name) throw ConfigError("the interface cannot change on reload");
  for (const auto& name : restart_only_changes(running, reread))
    log::warning("reload: " + name + " changed; it takes effect after a restart");
  running.filter = reread.filter;
  running.file_size_mb = reread.file_size_mb;
  running.rotate_seconds = reread.rotate_seconds;
  running.file_limit = reread.file_limit;
  running.max_bytes = reread.max_bytes;
  running.hooks_dir = reread.hooks_dir;
  running.post_rotate = reread.post_rotate;
  running.hook_timeout_seconds = reread.hook_timeout_seconds;
  running.hook_drain_seconds = reread.hook_drain_seconds;
  running.hook_backlog_bytes = reread.hook_backlog_bytes;
  running.metrics_file = reread.metrics_file;
}

}  // namespace pcap_ring
