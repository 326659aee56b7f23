#include "flows/key_postings.h"

#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <random>

namespace pcap_ring {
namespace {

constexpr std::size_t kFirstSlots = 1024;

// Seeded per builder: addresses come from the wire, and a sender who could predict where they
// land could make every one of them probe the same chain.
std::size_t ipv4_hash(std::uint32_t address, std::uint64_t seed) {
  return static_cast<std::size_t>(((static_cast<std::uint64_t>(address) ^ seed) * 0x9e3779b97f4a7c15ull) >> 32);
}

std::uint64_t ipv6_hash(const std::uint8_t* address, std::uint64_t seed) {
  std::uint64_t h = XXH3_64bits_withSeed(address, 16, seed);
  return h != 0 ? h : 1;  // 0 is never a key's hash
}

std::uint64_t random_seed() {
  std::random_device device;
  return (static_cast<std::uint64_t>(device()) << 32) ^ device();
}

}  // namespace

KeyPostings::KeyPostings()
    : port_lists_(65536, kNone), ipv4_slots_(kFirstSlots), ipv6_slots_(kFirstSlots), seed_(random_seed()) {
  flag_lists_.fill(kNone);
  proto_lists_.fill(kNone);
}

std::uint32_t KeyPostings::new_list(const FlowKey& key) {
  keys_.push_back(key);
  last_block_.push_back(kNone);
  blocks_.emplace_back();
  return static_cast<std::uint32_t>(keys_.size() - 1);
}

void KeyPostings::ipv4(const std::uint8_t* address) {
  std::uint32_t value;
  std::memcpy(&value, address, 4);
  const std::size_t mask = ipv4_slots_.size() - 1;
  for (std::size_t i = ipv4_hash(value, seed_) & mask;; i = (i + 1) & mask) {
    Ipv4Slot& slot = ipv4_slots_[i];
    if (slot.list != kNone && slot.address == value) return add_block(slot.list);
    if (slot.list == kNone) {
      const std::uint32_t list = new_list(FlowKey::address(FlowKeyKind::kIpv4, address));
      slot = Ipv4Slot{value, list};
      add_block(list);
      if (++ipv4_count_ * 2 > ipv4_slots_.size()) grow_ipv4();
      return;
    }
  }
}

void KeyPostings::ipv6(const std::uint8_t* address) {
  const std::uint64_t hash = ipv6_hash(address, seed_);
  const std::size_t mask = ipv6_slots_.size() - 1;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    Ipv6Slot& slot = ipv6_slots_[i];
    if (slot.list == kNone) {
      const std::uint32_t list = new_list(FlowKey::address(FlowKeyKind::kIpv6, address));
      slot = Ipv6Slot{hash, list};
      add_block(list);
      if (++ipv6_count_ * 2 > ipv6_slots_.size()) grow_ipv6();
      return;
    }
    if (slot.hash == hash && std::memcmp(keys_[slot.list].value.data(), address, 16) == 0) return add_block(slot.list);
  }
}

void KeyPostings::grow_ipv4() {
  std::vector<Ipv4Slot> old(ipv4_slots_.size() * 2);
  old.swap(ipv4_slots_);
  const std::size_t mask = ipv4_slots_.size() - 1;
  for (const Ipv4Slot& slot : old) {
    if (slot.list == kNone) continue;
    std::size_t i = ipv4_hash(slot.address, seed_) & mask;
    while (ipv4_slots_[i].list != kNone) i = (i + 1) & mask;
    ipv4_slots_[i] = slot;
  }
}

void KeyPostings::grow_ipv6() {
  std::vector<Ipv6Slot> old(ipv6_slots_.size() * 2);
  old.swap(ipv6_slots_);
  const std::size_t mask = ipv6_slots_.size() - 1;
  for (const Ipv6Slot& slot : old) {
    if (slot.list == kNone) continue;
    std::size_t i = slot.hash & mask;
    while (ipv6_slots_[i].list != kNone) i = (i + 1) & mask;
    ipv6_slots_[i] = slot;
  }
}

std::vector<std::pair<FlowKey, const std::vector<std::uint32_t>*>> KeyPostings::sorted() const {
  std::vector<std::pair<FlowKey, const std::vector<std::uint32_t>*>> keys;
  keys.reserve(keys_.size());
  for (std::size_t i = 0; i < keys_.size(); ++i) keys.emplace_back(keys_[i], &blocks_[i]);
  std::sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return keys;
}

}  // namespace pcap_ring
