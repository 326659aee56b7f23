// The recorder and the ring together, as the daemon runs them: with direct I/O the files
// must be byte for byte what buffered writes produce.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include "format/capture_scanner.h"
#include "capture/recorder.h"
#include "ring/ring.h"
#include "support/test_support.h"

namespace pcap_ring {
namespace {

namespace fs = std::filesystem;

bool supports_direct_io(const std::string& dir) {
  std::string probe = dir + "/.probe";
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_DIRECT, 0600);
  if (fd >= 0) ::close(fd);
  ::unlink(probe.c_str());
  return fd >= 0;
}

std::vector<char> read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

class RingDirectIo : public ::testing::TestWithParam<FileFormat> {
 protected:
  // Records `packets` packets of varied sizes through a Recorder into a Ring in `dir`.
  RingCounters capture(const std::string& dir, bool direct) {
    RingOptions o;
    o.directory = dir;
    o.id = {"pcap", "t"};
    o.format = GetParam();
    o.limits = {1000, 0, 0};
    o.file_size_bytes = 300'000;
    o.direct_io = direct;
    Ring ring(o);
    ring.open();
    BatchQueue queue(4, 64 * 1024 + kDirectIoAlign);
    RecorderOptions ro;
    ro.stream.format = GetParam();
    ro.stream.snaplen = 2000;
    ro.file_size_bytes = o.file_size_bytes;
    testing::ManualClock clock;
    CaptureCounters counters;
    auto drain = [&] {
      while (queue.pending() > 0) {
        auto b = queue.next();
        ring.write_batch(*b);
        queue.release(std::move(b));
      }
    };
    {
      Recorder r(ro, queue, clock, [&] { return counters; });
      std::mt19937 rng(42);
      std::vector<std::uint8_t> payload(2000);
      for (auto& byte : payload) byte = static_cast<std::uint8_t>(rng());
      for (int i = 0; i < 3000; ++i) {
        auto len = static_cast<std::uint32_t>(60 + rng() % 1441);
        r.on_packet(clock.now(), len, len, payload.data());
        clock.advance(kNanosPerSecond / 100);  // a flush every 50 packets: many short batches
        r.tick();
        drain();
      }
      r.finish();
      drain();
      ring.flush();
    }
    return ring.counters();
  }
  testing::TempDir tmp;
};

TEST_P(RingDirectIo, FilesAreIdenticalToBufferedWrites) {
  std::string direct_dir = tmp.file("direct"), buffered_dir = tmp.file("buffered");
  fs::create_directories(direct_dir);
  RingCounters direct = capture(direct_dir, true);
  RingCounters buffered = capture(buffered_dir, false);
  if (supports_direct_io(direct_dir)) EXPECT_GT(direct.direct_bytes, 0u);
  EXPECT_EQ(buffered.direct_bytes, 0u);
  EXPECT_EQ(direct.files_finished, buffered.files_finished);
  EXPECT_GT(direct.files_finished, 3u);
  EXPECT_EQ(direct.packets_written, 3000u);
  for (const auto& e : fs::directory_iterator(buffered_dir)) {
    std::string name = e.path().filename().string();
    if (name.front() == '.') continue;
    ASSERT_TRUE(fs::exists(direct_dir + "/" + name)) << name;
    EXPECT_EQ(read_all(direct_dir + "/" + name), read_all(e.path().string())) << name << " differs";
    FileScan scan;
    std::string error;
    ASSERT_TRUE(scan_capture_file(direct_dir + "/" + name, &scan, &error)) << error;
    EXPECT_TRUE(scan.complete()) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, RingDirectIo, ::testing::Values(FileFormat::kPcap, FileFormat::kPcapng));

}  // namespace
}  // namespace pcap_ring
