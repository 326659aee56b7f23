// `packet-capture run`: capture into a ring until SIGTERM. Its flags are the capture rows of
// the settings table.
#pragma once

#include "cli/subcommand.h"

namespace pcap_ring {

Subcommand add_run_command(CLI::App& app);

}  // namespace pcap_ring
