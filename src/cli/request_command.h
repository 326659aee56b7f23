// `packet-capture request`: signs a capture request and puts it on the agents' request
// stream, then, with --wait, prints the answers of the nodes as they come.
#pragma once

#include "cli/subcommand.h"

namespace pcap_ring {

Subcommand add_request_command(CLI::App& app);

}  // namespace pcap_ring
