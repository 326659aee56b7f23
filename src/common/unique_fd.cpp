#include "common/unique_fd.h"

#include <unistd.h>

#include <cstring>

namespace pcap_ring {

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

int UniqueFd::close_checked() {
  if (fd_ < 0) return 0;
  int rc = ::close(std::exchange(fd_, -1));
  return rc == 0 ? 0 : errno;
}

int write_all(int fd, const void* data, std::size_t size, std::size_t* written) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  std::size_t done = 0;
  while (done < size) {
    ssize_t n = ::write(fd, bytes + done, size - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (written) *written = done;
      return errno;
    }
    if (n == 0) {  // should not happen for regular files; treat as out of space
      if (written) *written = done;
      return ENOSPC;
    }
    done += static_cast<std::size_t>(n);
  }
  if (written) *written = done;
  return 0;
}

std::string errno_text(int err) {
  char buf[256];
  return std::string(strerror_r(err, buf, sizeof buf));
}

}  // namespace pcap_ring

namespace pcap_ring {
int pwrite_all(int fd, const void* data, std::size_t size, long long offset, std::size_t* written) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  std::size_t done = 0;
  while (done < size) {
    ssize_t n = ::pwrite(fd, bytes + done, size - done, static_cast<off_t>(offset + static_cast<long long>(done)));
    if (n < 0) {
      if (errno == EINTR) continue;
      if (written) *written = done;
      return errno;
    }
    if (n == 0) {
      if (written) *written = done;
      return ENOSPC;
    }
    done += static_cast<std::size_t>(n);
  }
  if (written) *written = done;
  return 0;
}
}  // namespace pcap_ring
