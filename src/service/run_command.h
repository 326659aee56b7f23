// `packet-capture run`: the Daemon on a libpcap source, with the process's signals.
#pragma once

#include <functional>

#include "common/exit_codes.h"
#include "config/capture_config.h"
#include "service/capture_loop.h"

namespace pcap_ring {

// Runs until SIGTERM/SIGINT (or the end of --read input). Start-up errors are thrown as
// StartupError before any ring file is touched; returns the process exit status.
// `reload` reads the configuration again (SIGHUP); it throws StartupError on bad input.
int run_capture(const CaptureConfig& config, std::function<CaptureConfig()> reload);

// The libpcap source the configuration names: the file given with --read, or the interface.
SourceOpener pcap_source_opener(const CaptureConfig& config);

// The test-only fault switch of the service test (PACKET_CAPTURE_TEST_WEDGE_CAPTURE set):
// the capture loop stops beating so that the watchdog restarts the service.
bool wedge_capture_requested_by_environment();

}  // namespace pcap_ring
