// Configuration reload (SIGHUP): which settings a running daemon takes over and which wait
// for a restart.
#pragma once

#include "config/capture_config.h"

namespace pcap_ring {

// Takes from `reread` the settings a reload may change into `running` and warns about
// those that take effect only after a restart. Throws StartupError when `reread` cannot
// replace the running configuration at all (another interface).
void apply_reload(CaptureConfig& running, const CaptureConfig& reread);

}  // namespace pcap_ring
