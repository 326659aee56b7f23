// Helpers shared by the fuzz targets: an in-memory file the loaders can open by path, and an
// invariant check that ends the run (libFuzzer then saves the input as a crash).
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace pcap_ring::fuzz {

// Prints what broke and aborts, so libFuzzer records the input that broke it.
[[noreturn]] inline void invariant_broken(const char* what, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
  std::abort();
}

#define FUZZ_CHECK(condition) \
  ((condition) ? (void)0 : ::pcap_ring::fuzz::invariant_broken(#condition, __FILE__, __LINE__))

// One memfd per process, rewritten with each input: the loaders take a path, and
// /proc/self/fd/N reaches the memfd without touching the disk.
class MemoryFile {
 public:
  static MemoryFile& instance() {
    static MemoryFile file;
    return file;
  }

  // Replaces the file's content with `data` and returns a path that opens it.
  const std::string& hold(const std::uint8_t* data, std::size_t size) {
    if (ftruncate(fd_, 0) != 0) fail("ftruncate");
    std::size_t done = 0;
    while (done < size) {
      ssize_t n = pwrite(fd_, data + done, size - done, static_cast<off_t>(done));
      if (n < 0) fail("pwrite");
      done += static_cast<std::size_t>(n);
    }
    return path_;
  }

 private:
  MemoryFile() {
    fd_ = memfd_create("fuzz-input", MFD_CLOEXEC);
    if (fd_ < 0) fail("memfd_create");
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  [[noreturn]] static void fail(const char* call) {
    std::perror(call);
    std::exit(2);  // a broken harness, not a finding
  }

  int fd_ = -1;
  std::string path_;
};

}  // namespace pcap_ring::fuzz
