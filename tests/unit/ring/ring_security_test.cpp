// A local user who can write into the ring directory plants symlinks and FIFOs under ring
// file names: none of them may be followed, truncated, published, adopted or waited on.
#include <fcntl.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/exit_codes.h"
#include "ring/ring.h"
#include "support/test_support.h"

namespace pcap_ring {
namespace {

namespace fs = std::filesystem;

class RingSecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(ring_dir());
    ::chmod(ring_dir().c_str(), 0755);
  }
  std::string ring_dir() { return dir.file("ring"); }
  std::string in_ring(const std::string& name) { return ring_dir() + "/" + name; }
  RingOptions options() {
    RingOptions o;
    o.directory = ring_dir();
    o.id = {"pcap", "eth0"};
    o.limits = {10, 0};
    return o;
  }
  // A valid capture of three records and a torn fourth, outside the ring.
  std::string outside_capture() {
    StreamParams p;
    std::vector<std::uint8_t> b = encode_file_header(p);
    std::uint8_t payload[60] = {};
    for (int i = 0; i < 4; ++i) {
      std::size_t at = b.size();
      b.resize(at + record_size(p, 60));
      encode_record(p, b.data() + at, 1'700'000'000LL * kNanosPerSecond + i, 60, 60, payload);
    }
    b.resize(b.size() - 10);
    std::string path = dir.file("root-only.pcap");
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    return path;
  }
  static std::uintmax_t size_of(const std::string& path) { return fs::file_size(path); }
  testing::TempDir dir;
};

TEST_F(RingSecurityTest, SymlinkedPartIsNeitherTruncatedNorPublished) {
  std::string target = outside_capture();
  auto before = size_of(target);
  ASSERT_EQ(::symlink(target.c_str(), in_ring("pcap-eth0-000005.pcap.part").c_str()), 0);
  Ring ring(options());
  int finished = 0;
  ring.set_on_finished([&](const FileRecord&) { ++finished; });
  ring.open();
  EXPECT_EQ(size_of(target), before);
  EXPECT_FALSE(fs::exists(fs::symlink_status(in_ring("pcap-eth0-000005.pcap"))));
  EXPECT_FALSE(std::ranges::any_of(ring.finished_files(), [](const FileRecord& r) { return r.sequence == 5; }));
  EXPECT_EQ(finished, 0);
}

TEST_F(RingSecurityTest, SymlinkUnderAFinishedNameIsNotAdopted) {
  std::string target = outside_capture();
  ASSERT_EQ(::symlink(target.c_str(), in_ring("pcap-eth0-000099.pcap").c_str()), 0);
  Ring ring(options());
  ring.open();
  EXPECT_FALSE(std::ranges::any_of(ring.finished_files(), [](const FileRecord& r) { return r.sequence == 99; }));
  EXPECT_TRUE(ring.finished_files().empty());
}

TEST_F(RingSecurityTest, FifosNamedLikeRingFilesDoNotHangStartUp) {
  ASSERT_EQ(::mkfifo(in_ring("pcap-eth0-000007.pcap.part").c_str(), 0600), 0);
  ASSERT_EQ(::mkfifo(in_ring("pcap-eth0-000008.pcap").c_str(), 0600), 0);
  Ring ring(options());
  ring.open();  // returns: neither FIFO is opened for reading
  EXPECT_TRUE(ring.finished_files().empty());
  struct stat st {};
  ASSERT_EQ(::lstat(in_ring("pcap-eth0-000007.pcap.part").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
}

TEST_F(RingSecurityTest, SymlinkedLockFileIsRefusedAndItsTargetNotCreated) {
  std::string target = dir.file("nologin");
  ASSERT_EQ(::symlink(target.c_str(), in_ring(".pcap-eth0.lock").c_str()), 0);
  Ring ring(options());
  EXPECT_THROW(ring.open(), StartupError);
  EXPECT_FALSE(fs::exists(target));
}

TEST_F(RingSecurityTest, LockFileIsPrivate) {
  Ring ring(options());
  ring.open();
  struct stat st {};
  ASSERT_EQ(::stat(in_ring(".pcap-eth0.lock").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(RingSecurityTest, DirectoryOthersCanWriteOrOwnIsRefused) {
  ::chmod(ring_dir().c_str(), 0777);
  try {
    Ring ring(options());
    ring.open();
    ADD_FAILURE() << "a world-writable ring directory was accepted";
  } catch (const StartupError& e) {
    EXPECT_EQ(e.code(), kExitConfig);
    EXPECT_NE(std::string(e.what()).find("writable by group or others (mode 0777)"), std::string::npos) << e.what();
  }
  ::chmod(ring_dir().c_str(), 01777);  // sticky: others cannot replace the daemon's files
  {
    Ring ring(options());
    EXPECT_NO_THROW(ring.open());
  }
  ::chmod(ring_dir().c_str(), 0750);
  ASSERT_EQ(::chown(ring_dir().c_str(), 65534, 65534), 0);
  try {
    Ring ring(options());
    ring.open();
    ADD_FAILURE() << "a ring directory owned by another user was accepted";
  } catch (const StartupError& e) {
    EXPECT_EQ(e.code(), kExitConfig);
    EXPECT_NE(std::string(e.what()).find("owned by uid 65534"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace pcap_ring
