// How reading a capture file (`--read`) went wrong: a file cut short inside its last record
// (every whole record was read: a copy of a file still being written, a full disk) is worth a
// warning; anything else the file says is damaged data (EX_DATAERR).
#pragma once

#include <string>

namespace pcap_ring {

// True when libpcap's read error says the file ends inside a record rather than holding a
// bad one ("truncated dump file; tried to read ...", "truncated pcapng dump file; ...").
bool is_truncated_last_record(const std::string& pcap_error);

}  // namespace pcap_ring
