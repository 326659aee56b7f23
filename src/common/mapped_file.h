// A read-only memory mapping of a whole file. Only for files this product replaces by rename
// and never truncates in place (flow indexes): reading a mapping of a file that shrinks
// afterwards would fault. Mapping saves the copy a read makes; an extraction reads dozens of
// indexes. (Capture files are read with pread: on a scan, the copy into a small buffer was
// faster here than faulting and missing the TLB through a mapping.)
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

namespace pcap_ring {

class MappedFile {
 public:
  MappedFile() = default;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  MappedFile(MappedFile&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  MappedFile& operator=(MappedFile&& other) noexcept {
    if (this != &other) {
      reset();
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }
  ~MappedFile() { reset(); }

  // Maps the first `size` bytes of `fd` (its size from fstat), every page at once: the file
  // is read whole (its checksum). Size 0 maps nothing and succeeds (data() is null). False
  // with *error on failure.
  [[nodiscard]] bool map(int fd, std::size_t size, std::string* error);
  void reset();

  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace pcap_ring
