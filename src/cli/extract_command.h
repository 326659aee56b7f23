// `packet-capture extract`: the packets of a time window (and a filter) cut out of one or more
// rings into a pcap or pcapng file or standard output, with a report on standard error.
#pragma once

#include "cli/subcommand.h"

namespace pcap_ring {

Subcommand add_extract_command(CLI::App& app);

}  // namespace pcap_ring
