// `packet-capture run`: wires the packet source, the recorder (capture thread), the ring
// (writer thread) and the main thread, which owns signals and service notifications.
#pragma once

#include "config.h"
#include "exit_codes.h"

namespace pcap_ring {

// Runs until SIGTERM/SIGINT (or the end of --read input). Start-up errors are thrown as
// StartupError before any ring file is touched; returns the process exit status.
int run_capture(const CaptureConfig& config);

}  // namespace pcap_ring
