// Helpers shared by the fuzz targets: an in-memory file the loaders can open by path, and an
// invariant check that ends the run (libFuzzer then saves the input as a crash).
#pragma once

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace pcap_ring::fuzz {

// Prints what broke and aborts, so libFuzzer records the input that broke it.
[[noreturn]] inline void invariant_broken(const char* what, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
  std::abort();
}

#define FUZZ_CHECK(condition) \
  ((condition) ? (void)0 : ::pcap_ring::fuzz::invariant_broken(#condition, __FILE__, __LINE__))

// The loaders take a path and refuse symlinks (so not /proc/self/fd/N): each input is written
// to one regular file in a private directory, on tmpfs when there is one, removed at exit.
class InputFile {
 public:
  static InputFile& instance() {
    static InputFile file;
    return file;
  }

  // Replaces the file's content with `data` and returns its path.
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
  // A path in the same private directory, for what a target writes itself.
  std::string sibling(const std::string& name) const { return dir_ + "/" + name; }

  ~InputFile() {
    close(fd_);
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

 private:
  InputFile() {
    std::string tmpl = access("/dev/shm", W_OK) == 0 ? "/dev/shm/pc-fuzz-XXXXXX" : "/tmp/pc-fuzz-XXXXXX";
    if (!mkdtemp(tmpl.data())) fail("mkdtemp");
    dir_ = tmpl;
    path_ = dir_ + "/input";
    fd_ = open(path_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd_ < 0) fail("open");
  }
  [[noreturn]] static void fail(const char* call) {
    std::perror(call);
    std::exit(2);  // a broken harness, not a finding
  }

  std::string dir_;
  std::string path_;
  int fd_ = -1;
};

}  // namespace pcap_ring::fuzz
