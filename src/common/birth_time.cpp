#include "common/birth_time.h"

#include <fcntl.h>
#include <sys/stat.h>

namespace pcap_ring {

NanoTime birth_time(int dir_fd, const std::string& name) {
  struct statx st {};
  if (::statx(dir_fd, name.c_str(), AT_SYMLINK_NOFOLLOW, STATX_BTIME, &st) != 0 || !(st.stx_mask & STATX_BTIME))
    return 0;
  return static_cast<NanoTime>(st.stx_btime.tv_sec) * kNanosPerSecond + st.stx_btime.tv_nsec;
}

}  // namespace pcap_ring
