#include "ring/ring_directory_trust.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "common/unique_fd.h"

namespace pcap_ring {

std::string untrusted_ring_directory(int dir_fd) {
  struct stat st {};
  if (::fstat(dir_fd, &st) != 0) return "cannot be checked: " + errno_text(errno);
  uid_t self = ::geteuid();
  if (st.st_uid != self && st.st_uid != 0)
    return "is owned by uid " + std::to_string(st.st_uid) + ", not by the daemon's user (uid " +
           std::to_string(self) + ") or root; refusing a directory another user controls";
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && (st.st_mode & S_ISVTX) == 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return std::string("is writable by group or others (mode ") + mode +
           ") without the sticky bit; refusing a directory others can plant files in (chmod go-w)";
  }
  return "";
}

}  // namespace pcap_ring
