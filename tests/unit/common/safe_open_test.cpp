#include "common/safe_open.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "common/atomic_file.h"
#include "support/test_support.h"

namespace pcap_ring {
namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class SafeOpenTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_fd.reset(::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)); }
  testing::TempDir dir;
  UniqueFd dir_fd;
};

TEST_F(SafeOpenTest, OpensARegularFile) {
  std::ofstream(dir.file("a")) << "x";
  std::string why;
  EXPECT_TRUE(open_regular_at(dir_fd.get(), "a", O_RDONLY, &why).valid()) << why;
  EXPECT_TRUE(is_regular_at(dir_fd.get(), "a"));
}

TEST_F(SafeOpenTest, RefusesASymlinkWithoutTouchingItsTarget) {
  std::ofstream(dir.file("target")) << "keep";
  ASSERT_EQ(::symlink(dir.file("target").c_str(), dir.file("link").c_str()), 0);
  std::string why;
  EXPECT_FALSE(open_regular_at(dir_fd.get(), "link", O_RDWR | O_CREAT, &why).valid());
  EXPECT_EQ(why, "is a symlink");
  EXPECT_FALSE(is_regular_at(dir_fd.get(), "link"));
  EXPECT_EQ(read_text(dir.file("target")), "keep");
}

TEST_F(SafeOpenTest, RefusesAFifoWithoutWaitingForAWriter) {
  ASSERT_EQ(::mkfifo(dir.file("fifo").c_str(), 0600), 0);
  std::string why;
  EXPECT_FALSE(open_regular_at(dir_fd.get(), "fifo", O_RDONLY, &why).valid());  // returns at once
  EXPECT_EQ(why, "is not a regular file");
  std::string content;
  EXPECT_EQ(read_regular_file(dir.file("fifo"), &content), EINVAL);
}

TEST_F(SafeOpenTest, AtomicWriteDoesNotFollowASymlinkAtTheTempOrFinalName) {
  std::ofstream(dir.file("victim")) << "root-only";
  ASSERT_EQ(::symlink(dir.file("victim").c_str(), dir.file("state.tmp").c_str()), 0);
  ASSERT_EQ(::symlink(dir.file("victim").c_str(), dir.file("state").c_str()), 0);
  ASSERT_EQ(write_file_atomically(dir.file("state"), "{\"new\":1}\n"), 0);
  EXPECT_EQ(read_text(dir.file("victim")), "root-only");
  struct stat st {};
  ASSERT_EQ(::lstat(dir.file("state").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));  // the link itself was replaced
  EXPECT_EQ(read_text(dir.file("state")), "{\"new\":1}\n");
  // No temporary file is left behind.
  int entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 3);  // victim, state.tmp (the planted link, untouched), state
}

}  // namespace
}  // namespace pcap_ring
