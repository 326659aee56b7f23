// Opening files inside a directory that others may be able to write to (the ring directory):
// always relative to the directory's descriptor, never following a symlink, and only ever a
// regular file, so that a planted symlink, FIFO or device cannot redirect, hang or feed the
// daemon.
#pragma once

#include <string>

#include "common/unique_fd.h"

namespace pcap_ring {

// openat(dir_fd, name, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, mode), then fstat: a
// descriptor of a regular file, or an invalid one with *why set ("is a symlink", "is not a
// regular file", or the errno text). O_NONBLOCK is cleared again on success. `name` must be
// a plain name (no '/').
UniqueFd open_regular_at(int dir_fd, const std::string& name, int flags, std::string* why,
                         mode_t mode = 0600);

// True when `name` is a regular file in dir_fd (lstat: a symlink is not); false for
// anything else or when it does not exist.
bool is_regular_at(int dir_fd, const std::string& name);

// Reads a whole regular file (not through a symlink, never blocking on a FIFO). Returns 0,
// or an errno value: ENOENT when it does not exist, ELOOP for a symlink, EINVAL when it is
// not a regular file.
int read_regular_file(const std::string& path, std::string* content);

// Appends everything from `fd`'s position to its end to *content. Returns 0 or the errno value.
int read_to_end(int fd, std::string* content);

}  // namespace pcap_ring
