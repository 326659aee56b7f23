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

int write_all(int fd, const void* data, std::size_t size, std::size_t* written, std::optional<std::uint64_t> offset) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  std::size_t done = 0;
  int err = 0;
  while (done < size) {
    ssize_t n = offset ? ::pwrite(fd, bytes + done, size - done, static_cast<off_t>(*offset + done))
                       : ::write(fd, bytes + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      err = n < 0 ? errno : ENOSPC;  // 0 should not happen for regular files: out of space
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  if (written) *written = done;
  return err;
}

std::string errno_text(int err) {
  char buf[256];
  return std::string(strerror_r(err, buf, sizeof buf));
}

}  // namespace pcap_ring
