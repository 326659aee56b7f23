// `packet-capture status [IFACE]`: a readable summary of a ring for people who do not read
// journals: whether the daemon runs, its current file, totals, drops and hook backlog.
#pragma once

#include "cli/subcommand.h"

namespace pcap_ring {

Subcommand add_status_command(CLI::App& app);

}  // namespace pcap_ring
