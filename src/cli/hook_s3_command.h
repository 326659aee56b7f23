// `packet-capture hook s3 FILE`: see stages/s3_stage.h.
#pragma once

#include "cli/subcommand.h"

namespace pcap_ring {

Subcommand add_hook_s3_command(CLI::App& hook_app);

}  // namespace pcap_ring
