// Suricata's unix command socket protocol as the Suricata stage speaks it: `{"version":"0.2"}`
// then `{"command":"pcap-file",...}`, each answered by a JSON value with "return" OK or NOK.
// Replies are read as JSON values, not lines: Suricata ends a reply with a newline only after
// the version handshake, and a reply may arrive in pieces.
#pragma once

#include <string>
#include <string_view>

#include "stages/stage_outcome.h"

namespace pcap_ring {

// Parses a (possibly partial) reply buffer. kIncomplete: more bytes may complete it.
struct SuricataReply {
  enum class State { kIncomplete, kOk, kError, kMalformed };
  State state = State::kIncomplete;
  std::string message;  // Suricata's "message" (as text), or what is wrong with the reply
};
SuricataReply parse_suricata_reply(std::string_view buffer);

// The two requests, exactly as sent.
std::string suricata_version_request();
std::string suricata_pcap_file_request(const std::string& filename, const std::string& output_dir);

// Where and how long to talk to Suricata.
struct SuricataEndpoint {
  std::string socket_path;
  std::string output_dir;  // Suricata's log directory for the file (absolute)
  double timeout_seconds = 30.0;  // whole exchange
};

// Connects, says the version, hands `file` (absolute) over. 0 queued; 75 unreachable, busy,
// silent past the timeout or an unexpected reply; 1 Suricata rejected the file.
StageOutcome submit_over_suricata_socket(const std::string& file, const SuricataEndpoint& endpoint);

}  // namespace pcap_ring
