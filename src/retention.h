// Which finished files the ring deletes, oldest first, to stay within its file count and
// byte budget. A pure function so the policy is tested apart from the file system.
#pragma once

#include <cstdint>
#include <vector>

#include "ring_index.h"

namespace pcap_ring {

struct RetentionLimits {
  std::uint64_t file_limit = 10;  // ring files in all, the one being written included
  std::uint64_t max_bytes = 0;    // 0 = no byte budget
};

// `finished` is ordered oldest first. `live_bytes` is room to keep for the file being
// (or about to be) written: its size limit when a new file starts, 0 when none is open.
// `live_file` says whether a live file counts against the file limit.
// Returns the sequences to delete, oldest first.
std::vector<std::uint64_t> select_for_deletion(const std::vector<FileRecord>& finished,
                                               const RetentionLimits& limits, bool live_file,
                                               std::uint64_t live_bytes);

}  // namespace pcap_ring
