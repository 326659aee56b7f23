// Helpers shared by the unit tests: a temporary directory, file and script writers, a wait
// for a condition, and a clock tests move by hand.
#pragma once

#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>

#include "common/timestamp.h"

namespace pcap_ring::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "pc-unit-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Writes `text` to `path` (replacing it) with permissions `mode`.
inline void write_text_file(const std::string& path, const std::string& text, mode_t mode = 0644) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  ::chmod(path.c_str(), mode);
}

// A shell script at `path` running `body`; executable unless `mode` says otherwise.
inline std::string write_script(const std::string& path, const std::string& body, mode_t mode = 0755) {
  write_text_file(path, "#!/bin/sh\n" + body + "\n", mode);
  return path;
}

inline std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Waits until `done` holds (work on other threads or processes), at most `limit`.
inline bool wait_until(const std::function<bool()>& done,
                       std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// Safe to read from worker threads while the test moves it.
class ManualClock final : public Clock {
 public:
  NanoTime now() const override { return wall.load(); }
  NanoTime monotonic() const override { return mono.load(); }
  void advance(NanoTime ns) {
    wall += ns;
    mono += ns;
  }
  std::atomic<NanoTime> wall{1'700'000'000LL * kNanosPerSecond};
  std::atomic<NanoTime> mono{1'000 * kNanosPerSecond};
};

}  // namespace pcap_ring::testing
