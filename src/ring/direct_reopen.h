// The live `.part` file opened a second time with O_DIRECT, for the aligned bulk of its writes.
// O_DIRECT cannot be added to an open descriptor with fcntl on every file system, so the file is
// opened again by name; but the ring directory may be writable by others, and between creating
// the file and reopening it the name could be raced to another file (renamed over, or replaced
// by a symlink). The reopened descriptor is therefore used only when it is the very file created.
#pragma once

#include <string>

#include "common/unique_fd.h"

namespace pcap_ring {

// `part_name` in `dir_fd` again, write-only with O_DIRECT and without following a symlink;
// invalid unless it is the file `created_fd` refers to (same device and inode), with a warning
// logged when it is another file. Also invalid when the open fails: no O_DIRECT on this file
// system (EINVAL), a symlink in its place (ELOOP), the name gone (ENOENT).
UniqueFd reopen_direct(int dir_fd, const std::string& part_name, int created_fd);

}  // namespace pcap_ring
