// What SIGHUP does with a re-read configuration: exactly the settings-table rows marked
// reloadable take their new value; every other changed setting keeps its running value and
// is reported, so the daemon can warn that it needs a restart.
#pragma once

#include <string>
#include <vector>

#include "config/capture_config.h"

namespace pcap_ring {

struct ReloadPlan {
  CaptureConfig config;                     // running values, with the reloadable rows from the re-read
  std::vector<std::string> needs_restart;   // names of non-reloadable settings that changed
};

ReloadPlan plan_reload(const CaptureConfig& running, const CaptureConfig& reread);

}  // namespace pcap_ring
