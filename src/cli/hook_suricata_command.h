// `packet-capture hook suricata FILE`: see stages/suricata_stage.h.
#pragma once

#include "cli/subcommand.h"

namespace pcap_ring {

Subcommand add_hook_suricata_command(CLI::App& hook_app);

}  // namespace pcap_ring
