#include "common/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include "common/unique_fd.h"

namespace pcap_ring {

int write_file_atomically(const std::string& path, const std::string& content) {
  std::string tmp = path + ".tmp";
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640));
  if (!fd.valid()) return errno;
  int err = write_all(fd.get(), content.data(), content.size());
  if (err == 0 && ::fsync(fd.get()) != 0) err = errno;
  int close_err = fd.close_checked();
  if (err == 0) err = close_err;
  if (err == 0 && ::rename(tmp.c_str(), path.c_str()) != 0) err = errno;
  if (err != 0) ::unlink(tmp.c_str());
  return err;
}

}  // namespace pcap_ring
