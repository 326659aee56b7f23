// `packet-capture keygen KID`: makes the key a sender signs agent requests with (KID.key) and
// the public key nodes trust (KID.pub, for /etc/packet-capture/trusted-keys.d), or with
// --hmac a shared secret (KID.hmac) for a single trust domain.
#pragma once

#include "cli/subcommand.h"

namespace pcap_ring {

Subcommand add_keygen_command(CLI::App& app);

}  // namespace pcap_ring
