#include "hooks/damaged_queue.h"

#include <fcntl.h>
#include <stdio.h>

#include <cerrno>
#include <ctime>

#include "common/unique_fd.h"

namespace pcap_ring {

std::string set_aside_damaged_queue(const std::string& path, std::string* error) {
  std::time_t now = std::time(nullptr);
  struct tm utc {};
  char stamp[32] = "unknown-time";
  if (gmtime_r(&now, &utc)) std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
  for (int copy = 1; copy < 1000; ++copy) {
    std::string aside = path + ".damaged-" + stamp + (copy > 1 ? "-" + std::to_string(copy) : "");
    // RENAME_NOREPLACE: an older damaged copy (or anything planted under the name) stays.
    if (::renameat2(AT_FDCWD, path.c_str(), AT_FDCWD, aside.c_str(), RENAME_NOREPLACE) == 0) return aside;
    if (errno != EEXIST) {
      *error = errno_text(errno);
      return "";
    }
  }
  *error = "too many damaged copies";
  return "";
}

}  // namespace pcap_ring
