// Who may write the ring directory. The daemon reads, repairs, publishes and hands to hooks
// what it finds there, so only the daemon's own user (or root) may be able to put files in
// it: a directory owned by another user, or writable by group or others without the sticky
// bit, is refused at start-up.
#pragma once

#include <string>

namespace pcap_ring {

// "" when the directory (an open descriptor) is safe to use; otherwise why not, as the end of
// a sentence that starts with the directory's name ("is owned by uid 1000, ...").
std::string untrusted_ring_directory(int dir_fd);

}  // namespace pcap_ring
