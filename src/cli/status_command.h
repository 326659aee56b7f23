// `packet-capture status [IFACE]`: a readable summary of a ring for people who do not read
// journals: whether the daemon runs, its current file, totals, drops and hook backlog.
#pragma once

#include <CLI/CLI.hpp>

namespace pcap_ring {

void add_status_command(CLI::App& app, int* exit_status);

}  // namespace pcap_ring
