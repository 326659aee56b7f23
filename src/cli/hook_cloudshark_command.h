// `packet-capture hook cloudshark FILE`: see stages/cloudshark_stage.h.
#pragma once

#include "cli/subcommand.h"

namespace pcap_ring {

Subcommand add_hook_cloudshark_command(CLI::App& hook_app);

}  // namespace pcap_ring
