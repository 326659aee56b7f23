#include "stages/stage_files.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>

namespace pcap_ring {

std::string errno_reason(const std::string& what, int err) { return what + ": " + errno_text(err); }

std::variant<OpenCaptureFile, StageOutcome> open_capture_file(const std::string& path) {
  OpenCaptureFile file;
  file.fd = UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!file.fd.valid()) return StageOutcome{kExitFailure, path + ": cannot open: " + errno_text(errno)};
  struct stat st {};
  if (::fstat(file.fd.get(), &st) != 0 || !S_ISREG(st.st_mode))
    return StageOutcome{kExitFailure, path + ": not a regular file"};
  file.size = static_cast<std::uint64_t>(st.st_size);
  return file;
}

}  // namespace pcap_ring
