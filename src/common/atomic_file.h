// Replaces a small state file so that readers and crashes see either the old or the new
// content, never a mix: write a temporary file, fsync it, rename it over the old one.
#pragma once

#include <string>

namespace pcap_ring {

// Returns 0 or the errno value of the step that failed (the temporary file is removed).
[[nodiscard]] int write_file_atomically(const std::string& path, const std::string& content);

}  // namespace pcap_ring
