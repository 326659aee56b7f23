// When a file was created (statx's birth time): a capture file's birth is when its capture
// began, packets or not.
#pragma once

#include <string>

#include "common/timestamp.h"

namespace pcap_ring {

// The birth time of `name` relative to `dir_fd` (AT_FDCWD for a path), symlinks not followed;
// 0 when the file system does not record it or the file cannot be examined.
NanoTime birth_time(int dir_fd, const std::string& name);

}  // namespace pcap_ring
