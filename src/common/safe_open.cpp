#include "common/safe_open.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace pcap_ring {

UniqueFd open_regular_at(int dir_fd, const std::string& name, int flags, std::string* why, mode_t mode) {
  UniqueFd fd(::openat(dir_fd, name.c_str(), flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, mode));
  if (!fd.valid()) {
    int err = errno;
    // O_NOFOLLOW reports a symlink as ELOOP.
    *why = err == ELOOP ? std::string("is a symlink") : errno_text(err);
    return {};
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    *why = "cannot stat: " + errno_text(errno);
    return {};
  }
  if (!S_ISREG(st.st_mode)) {
    *why = "is not a regular file";
    return {};
  }
  int fl = ::fcntl(fd.get(), F_GETFL);
  if (fl < 0 || ::fcntl(fd.get(), F_SETFL, fl & ~O_NONBLOCK) != 0) {
    *why = "fcntl: " + errno_text(errno);
    return {};
  }
  return fd;
}

bool is_regular_at(int dir_fd, const std::string& name) {
  struct stat st {};
  return ::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

int read_regular_file(const std::string& path, std::string* content) {
  content->clear();
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid()) return errno;
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return errno;
  if (!S_ISREG(st.st_mode)) return EINVAL;
  return read_to_end(fd.get(), content);
}

int read_to_end(int fd, std::string* content) {
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return 0;
    content->append(buf, static_cast<std::size_t>(n));
  }
}

}  // namespace pcap_ring
