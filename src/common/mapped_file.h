// A read-only memory mapping of a whole file. Mapping saves the copy a read makes: an
// extraction reads dozens of flow indexes and gigabytes of finished capture files. Only for
// files this product never truncates in place (indexes are replaced by rename, finished ring
// files only unlinked); a reader of capture files also arms a SIGBUS guard (shrink_guard.h)
// against a file shrunk by someone else.
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

  // Maps the first `size` bytes of `fd` (its size from fstat); `populate` maps every page at
  // once (for a file read whole), otherwise pages are mapped as they are touched. Size 0 maps
  // nothing and succeeds (data() is null). False with *error on failure.
  [[nodiscard]] bool map(int fd, std::size_t size, bool populate, std::string* error);
  void reset();

  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace pcap_ring
