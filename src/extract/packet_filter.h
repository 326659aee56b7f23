// A pcap-filter expression compiled once for a link type and applied to records read from
// files, exactly as `tcpdump -r FILE EXPR` applies it.
#pragma once

#include <pcap/pcap.h>

#include <memory>
#include <string>

#include "format/record_reader.h"

namespace pcap_ring {

class PacketFilter {
 public:
  // An empty expression matches every packet. False with *error (libpcap's message) when the
  // expression does not compile for `linktype`.
  [[nodiscard]] bool compile(const std::string& expression, int linktype, std::uint32_t snaplen, std::string* error);
  bool matches(const PacketRecord& record) const;
  PacketFilter() = default;
  PacketFilter(const PacketFilter&) = delete;
  PacketFilter& operator=(const PacketFilter&) = delete;
  ~PacketFilter();

 private:
  bool any_ = true;
  bpf_program program_{};
};

}  // namespace pcap_ring
