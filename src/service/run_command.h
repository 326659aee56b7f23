// `packet-capture run`: wires the packet source, the recorder (capture thread), the ring
// (writer thread), the hook pipeline and the main thread, which owns signals, service
// notifications, the status file and metrics.
#pragma once

#include <functional>

#include "config/capture_config.h"
#include "common/exit_codes.h"

namespace pcap_ring {

// Runs until SIGTERM/SIGINT (or the end of --read input). Start-up errors are thrown as
// StartupError before any ring file is touched; returns the process exit status.
// `reload` reads the configuration again (SIGHUP); it throws StartupError on bad input.
int run_capture(const CaptureConfig& config, std::function<CaptureConfig()> reload);

}  // namespace pcap_ring
