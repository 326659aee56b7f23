// RAII owner of a file descriptor, and checked I/O helpers that report errno.
#pragma once

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace pcap_ring {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1);
  // Closes now and reports the error close() returned (0 on success), as errno value.
  int close_checked();

 private:
  int fd_ = -1;
};

// Writes all of [data, data+size) unless an error occurs: at the file position (write), or
// at `offset` when one is given (pwrite). Returns 0 or the errno value; *written, when
// given, holds how many bytes did reach the file (for truncating a torn chunk).
[[nodiscard]] int write_all(int fd, const void* data, std::size_t size, std::size_t* written = nullptr,
                            std::optional<std::uint64_t> offset = std::nullopt);

// "strerror(err)" without locale surprises.
std::string errno_text(int err);

}  // namespace pcap_ring
