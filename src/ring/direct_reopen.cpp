#include "ring/direct_reopen.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "common/log.h"

namespace pcap_ring {

UniqueFd reopen_direct(int dir_fd, const std::string& part_name, int created_fd) {
  UniqueFd fd(::openat(dir_fd, part_name.c_str(), O_WRONLY | O_DIRECT | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return fd;
  struct stat reopened {}, created {};
  if (::fstat(fd.get(), &reopened) != 0 || ::fstat(created_fd, &created) != 0 ||
      reopened.st_dev != created.st_dev || reopened.st_ino != created.st_ino) {
    log::warning(part_name + " was replaced after it was created; writing it without direct I/O");
    return {};
  }
  return fd;
}

}  // namespace pcap_ring
