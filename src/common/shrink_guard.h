// Keeps a reader of a memory-mapped file alive when the file shrinks under the mapping
// (truncated by someone else): touching a page past the new end raises SIGBUS, which would
// kill the process. While a region is registered, the SIGBUS handler maps a zero page over
// the faulting page and marks the region shrunk; the reader then sees zeros, checks
// shrunk(), and reports the file as cut short instead of dying.
#pragma once

#include <cstddef>

namespace pcap_ring {

class ShrinkGuard {
 public:
  ShrinkGuard() = default;
  ShrinkGuard(const ShrinkGuard&) = delete;
  ShrinkGuard& operator=(const ShrinkGuard&) = delete;
  ~ShrinkGuard() { release(); }

  // Guards [base, base + size). False when every slot is taken (the caller then reads
  // without a mapping).
  [[nodiscard]] bool arm(const void* base, std::size_t size);
  void release();
  // A page of the region was lost since arm().
  bool shrunk() const;

 private:
  int slot_ = -1;
};

}  // namespace pcap_ring
