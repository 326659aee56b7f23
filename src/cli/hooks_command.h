// `packet-capture hooks run FILE` (the pipeline once, in the foreground, for people writing
// hooks) and `packet-capture hooks status` (backlog and recent failures of a ring).
#pragma once

#include "cli/subcommand.h"

namespace pcap_ring {

Subcommand add_hooks_run_command(CLI::App& hooks_app);
Subcommand add_hooks_status_command(CLI::App& hooks_app);

}  // namespace pcap_ring
