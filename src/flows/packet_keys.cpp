#include "flows/packet_keys.h"

namespace pcap_ring {
namespace {

// Collects keys as FlowKey values, for callers that want them as a list.
class KeyListSink {
 public:
  explicit KeyListSink(std::vector<FlowKey>* keys) : keys_(keys) {}
  void flag(FlowFlag f) { keys_->push_back(FlowKey::flag(f)); }
  void ip_proto(std::uint8_t proto) { keys_->push_back(FlowKey::ip_proto(proto)); }
  void port(std::uint16_t port) { keys_->push_back(FlowKey::port(port)); }
  void ipv4(const std::uint8_t* address) { keys_->push_back(FlowKey::address(FlowKeyKind::kIpv4, address)); }
  void ipv6(const std::uint8_t* address) { keys_->push_back(FlowKey::address(FlowKeyKind::kIpv6, address)); }

 private:
  std::vector<FlowKey>* keys_;
};

}  // namespace

void append_packet_keys(int linktype, const std::uint8_t* frame, std::uint32_t caplen,
                        std::vector<FlowKey>* keys) {
  KeyListSink sink(keys);
  PacketKeyReader<KeyListSink>(&sink).frame(linktype, frame, caplen);
}

}  // namespace pcap_ring
