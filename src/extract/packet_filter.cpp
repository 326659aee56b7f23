#include "extract/packet_filter.h"

namespace pcap_ring {

bool PacketFilter::compile(const std::string& expression, int linktype, std::uint32_t snaplen, std::string* error) {
  if (expression.empty()) return true;
  pcap_t* dead = pcap_open_dead_with_tstamp_precision(linktype, static_cast<int>(snaplen), PCAP_TSTAMP_PRECISION_NANO);
  if (!dead) {
    *error = "cannot prepare a filter for link type " + std::to_string(linktype);
    return false;
  }
  bool ok = pcap_compile(dead, &program_, expression.c_str(), 1, PCAP_NETMASK_UNKNOWN) == 0;
  if (!ok) *error = pcap_geterr(dead);
  pcap_close(dead);
  any_ = !ok;
  return ok;
}

bool PacketFilter::matches(const PacketRecord& record) const {
  if (any_) return true;
  pcap_pkthdr header{};
  header.caplen = record.caplen;
  header.len = record.origlen;
  return pcap_offline_filter(&program_, &header, record.data) != 0;
}

PacketFilter::~PacketFilter() {
  if (!any_) pcap_freecode(&program_);
}

}  // namespace pcap_ring
