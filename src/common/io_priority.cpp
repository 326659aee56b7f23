#include "common/io_priority.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace pcap_ring {
namespace {
// From linux/ioprio.h, which glibc does not wrap.
constexpr int kIoprioWhoProcess = 1;
constexpr int kIoprioClassIdle = 3;
constexpr int kIoprioClassShift = 13;
}  // namespace

int set_idle_io_priority() {
  if (::syscall(SYS_ioprio_set, kIoprioWhoProcess, 0, kIoprioClassIdle << kIoprioClassShift) != 0) return errno;
  return 0;
}

}  // namespace pcap_ring
