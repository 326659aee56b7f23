#include "common/atomic_file.h"

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>

#include "common/unique_fd.h"

namespace pcap_ring {
namespace {

constexpr mode_t kStateFileMode = 0640;

// "NAME.tmp-<16 hex digits>": unpredictable, so nobody can plant a file or symlink there first.
std::string random_temp_name(const std::string& name) {
  unsigned long long bits = 0;
  if (::getrandom(&bits, sizeof bits, 0) != static_cast<ssize_t>(sizeof bits))
    bits = static_cast<unsigned long long>(::getpid()) ^ reinterpret_cast<std::uintptr_t>(&bits);
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", bits);
  return name + ".tmp-" + hex;
}

// An unnamed file in the directory, given a random name once it is complete (O_TMPFILE +
// linkat); where the file system has no O_TMPFILE, a new random name created exclusively.
// Neither ever opens an existing file or follows a symlink.
int write_temp_file(int dir_fd, const std::string& temp_name, const std::string& content) {
  UniqueFd fd(::openat(dir_fd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, kStateFileMode));
  bool unnamed = fd.valid();
  if (!unnamed) {
    fd.reset(::openat(dir_fd, temp_name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                      kStateFileMode));
    if (!fd.valid()) return errno;
  }
  int err = write_all(fd.get(), content.data(), content.size(), nullptr);
  if (err == 0 && ::fsync(fd.get()) != 0) err = errno;
  if (err == 0 && unnamed) {
    std::string proc = "/proc/self/fd/" + std::to_string(fd.get());
    if (::linkat(AT_FDCWD, proc.c_str(), dir_fd, temp_name.c_str(), AT_SYMLINK_FOLLOW) != 0) err = errno;
  }
  int close_err = fd.close_checked();
  if (err == 0) err = close_err;
  return err;
}

}  // namespace

int write_file_atomically(const std::string& path, const std::string& content) {
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd.valid()) return errno;
  std::string temp_name = random_temp_name(name);
  int err = write_temp_file(dir_fd.get(), temp_name, content);
  // rename() replaces whatever NAME is, a planted symlink included, without following it.
  if (err == 0 && ::renameat(dir_fd.get(), temp_name.c_str(), dir_fd.get(), name.c_str()) != 0) err = errno;
  if (err != 0) {
    ::unlinkat(dir_fd.get(), temp_name.c_str(), 0);
    return err;
  }
  // The rename itself is durable only once the directory is: without this, a crash could
  // bring back the old file after the new one was relied on.
  if (::fsync(dir_fd.get()) != 0 && errno != EINVAL) return errno;
  return 0;
}

}  // namespace pcap_ring
