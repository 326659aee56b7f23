#include "capture/read_failure.h"

namespace pcap_ring {

bool is_truncated_last_record(const std::string& pcap_error) {
  // libpcap reports end of file inside a record only this way; bad lengths, bad block types
  // and the like have their own messages.
  return pcap_error.starts_with("truncated dump file") || pcap_error.starts_with("truncated pcapng dump file");
}

}  // namespace pcap_ring
