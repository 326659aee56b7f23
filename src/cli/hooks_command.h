// `packet-capture hooks run FILE` (the pipeline once, in the foreground, for people writing
// hooks) and `packet-capture hooks status` (backlog and recent failures of a ring).
#pragma once

#include <CLI/CLI.hpp>

namespace pcap_ring {

// Adds `run` and `status` under `hooks_app`; their callbacks store the exit status.
void add_hooks_commands(CLI::App& hooks_app, int* exit_status);

}  // namespace pcap_ring
