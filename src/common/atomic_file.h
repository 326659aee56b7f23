// Replaces a small state file so that readers and crashes see either the old or the new
// content, never a mix: write a temporary file, fsync it, rename it over the old one, fsync the
// directory. The temporary file is new (O_TMPFILE, or O_EXCL with a random name) and opened
// relative to the directory, so a symlink planted at NAME.tmp or NAME is never followed.
#pragma once

#include <string>

namespace pcap_ring {

// Returns 0 or the errno value of the step that failed (the temporary file is removed).
[[nodiscard]] int write_file_atomically(const std::string& path, const std::string& content);

}  // namespace pcap_ring
