// The posting lists a flow index is built from: for each key seen so far, the rising list of
// block numbers whose records have it. It is the packet key reader's sink, called for every
// key of every packet the ring writes, so the common kinds need no hashing: flags, protocols
// and ports index small arrays directly; only addresses go through an open-addressing table.
// A key is added to a block's list once, however many records of the block have it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "flows/flow_key.h"

namespace pcap_ring {

class KeyPostings {
 public:
  KeyPostings();

  // Keys from now on belong to this block; numbers only rise.
  void set_block(std::uint32_t block) { block_ = block; }

  // The packet key reader's sink.
  [[gnu::always_inline]] void flag(FlowFlag f) {
    std::uint32_t& list = flag_lists_[static_cast<std::size_t>(f) % kFlowFlagCount];
    if (list == kNone) [[unlikely]] list = new_list(FlowKey::flag(f));
    add_block(list);
  }
  [[gnu::always_inline]] void ip_proto(std::uint8_t proto) {
    std::uint32_t& list = proto_lists_[proto];
    if (list == kNone) [[unlikely]] list = new_list(FlowKey::ip_proto(proto));
    add_block(list);
  }
  [[gnu::always_inline]] void port(std::uint16_t port) {
    std::uint32_t& list = port_lists_[port];
    if (list == kNone) [[unlikely]] list = new_list(FlowKey::port(port));
    add_block(list);
  }
  void ipv4(const std::uint8_t* address);
  void ipv6(const std::uint8_t* address);

  // The lists one packet's keys went to, so that a next packet known to have the same keys
  // adds them again without being read.
  void start_packet() {
    packet_count_ = 0;
    packet_block_ = block_;
  }
  bool packet_recorded() const { return packet_count_ <= kPacketLists; }
  void repeat_packet() {
    if (packet_block_ == block_) return;  // the block has them already
    packet_block_ = block_;
    for (std::size_t i = 0; i < packet_count_; ++i) add_to_block(packet_lists_[i]);
  }

  std::size_t size() const { return keys_.size(); }
  // Every key with its blocks, in key order.
  std::vector<std::pair<FlowKey, const std::vector<std::uint32_t>*>> sorted() const;

 private:
  static constexpr std::uint32_t kNone = UINT32_MAX;
  struct Ipv4Slot {
    std::uint32_t address = 0;  // as in the packet
    std::uint32_t list = kNone;  // kNone: a free slot
  };
  struct Ipv6Slot {
    std::uint64_t hash = 0;
    std::uint32_t list = kNone;
  };

  [[gnu::always_inline]] void add_block(std::uint32_t list) {
    if (packet_count_ < kPacketLists) packet_lists_[packet_count_] = list;
    ++packet_count_;
    add_to_block(list);
  }
  [[gnu::always_inline]] void add_to_block(std::uint32_t list) {
    if (last_block_[list] == block_) return;  // the usual case: a key the block already has
    last_block_[list] = block_;
    blocks_[list].push_back(block_);
  }
  std::uint32_t new_list(const FlowKey& key);
  void grow_ipv4();
  void grow_ipv6();

  static constexpr std::size_t kPacketLists = 16;

  std::uint32_t block_ = 0;
  std::array<std::uint32_t, kPacketLists> packet_lists_{};
  std::size_t packet_count_ = 0;
  std::uint32_t packet_block_ = kNone;  // the block those lists last had the packet's keys added in
  // Per list (key) number: the key, the last block added to its list, its blocks. Apart, so
  // that the check made for every key of every packet reads a dense array.
  std::vector<FlowKey> keys_;
  std::vector<std::uint32_t> last_block_;
  std::vector<std::vector<std::uint32_t>> blocks_;
  std::array<std::uint32_t, kFlowFlagCount> flag_lists_;
  std::array<std::uint32_t, 256> proto_lists_;
  std::vector<std::uint32_t> port_lists_;
  // Open addressing, linear probing; sizes are powers of two, kept at most half full.
  std::vector<Ipv4Slot> ipv4_slots_;
  std::size_t ipv4_count_ = 0;
  std::vector<Ipv6Slot> ipv6_slots_;
  std::size_t ipv6_count_ = 0;
  std::uint64_t seed_;  // of the address hashes
};

}  // namespace pcap_ring
