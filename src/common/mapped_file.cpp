#include "common/mapped_file.h"

#include <sys/mman.h>

#include <cerrno>

#include "common/unique_fd.h"

namespace pcap_ring {

bool MappedFile::map(int fd, std::size_t size, std::string* error) {
  reset();
  if (size == 0) return true;
  void* at = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  if (at == MAP_FAILED) {
    *error = "mmap: " + errno_text(errno);
    return false;
  }
  data_ = static_cast<const std::uint8_t*>(at);
  size_ = size;
  return true;
}

void MappedFile::reset() {
  if (data_ != nullptr) ::munmap(const_cast<std::uint8_t*>(data_), size_);
  data_ = nullptr;
  size_ = 0;
}

}  // namespace pcap_ring
