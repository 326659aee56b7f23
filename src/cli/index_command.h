// `packet-capture index --rebuild`: makes the flow index of every finished ring file that has
// none, or a damaged one (files from before flow indexes, or written with flow_index = no).
#pragma once

#include "cli/subcommand.h"

namespace pcap_ring {

Subcommand add_index_command(CLI::App& app);

}  // namespace pcap_ring
