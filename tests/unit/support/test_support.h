// Helpers shared by the unit tests: a temporary directory and a clock tests move by hand.
#pragma once

#include <filesystem>
#include <string>

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

class ManualClock final : public Clock {
 public:
  NanoTime now() const override { return wall; }
  NanoTime monotonic() const override { return mono; }
  void advance(NanoTime ns) {
    wall += ns;
    mono += ns;
  }
  NanoTime wall = 1'700'000'000LL * kNanosPerSecond;
  NanoTime mono = 1'000 * kNanosPerSecond;
};

}  // namespace pcap_ring::testing
