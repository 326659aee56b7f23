// A hook queue file that cannot be read is kept for inspection, never overwritten: each one is
// renamed to "<queue>.damaged-<UTC time>" (with "-2", "-3", ... when that name is taken).
#pragma once

#include <string>

namespace pcap_ring {

// Renames `path` aside. Returns the new name, or an empty string (with *error) when the file
// could not be moved.
std::string set_aside_damaged_queue(const std::string& path, std::string* error);

}  // namespace pcap_ring
