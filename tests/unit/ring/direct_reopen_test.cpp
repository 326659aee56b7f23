// Reopening the live file with O_DIRECT by name: only the very file created comes back, never
// a file renamed over its name, a symlink put in its place (even one to the same file), or
// nothing.
#include "ring/direct_reopen.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

namespace pcap_ring {
namespace {

// True when `dir` accepts O_DIRECT files (tmpfs does not).
bool accepts_direct_io(const std::string& dir) {
  const std::string probe = dir + "/.direct-probe";
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_DIRECT | O_CLOEXEC, 0600);
  if (fd >= 0) ::close(fd);
  ::unlink(probe.c_str());
  return fd >= 0;
}

// A private directory, on a file system with O_DIRECT when one is at hand: /var/tmp and the
// build tree are usually on disk, the temporary directory is often tmpfs.
class DirectReopenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::error_code ec;
    for (const std::string& base : {std::string("/var/tmp"), std::filesystem::current_path(ec).string(),
                                     std::filesystem::temp_directory_path(ec).string()}) {
      std::string tmpl = base + "/pc-direct-XXXXXX";
      if (base.empty() || !::mkdtemp(tmpl.data())) continue;
      if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
      dir_ = tmpl;
      direct_io_ = accepts_direct_io(dir_);
      if (direct_io_) break;
    }
    ASSERT_FALSE(dir_.empty()) << "no writable temporary directory";
    dir_fd_ = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(dir_fd_, 0);
    created_ = ::openat(dir_fd_, kPart, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    ASSERT_GE(created_, 0);
  }
  void TearDown() override {
    if (created_ >= 0) ::close(created_);
    if (dir_fd_ >= 0) ::close(dir_fd_);
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  std::string path(const char* name) const { return dir_ + "/" + name; }

  static constexpr const char* kPart = "pcap-eth0-000001.pcap.part";
  std::string dir_;
  bool direct_io_ = false;
  int dir_fd_ = -1;
  int created_ = -1;
};

TEST_F(DirectReopenTest, SameFileComesBackWithDirectIo) {
  errno = 0;
  UniqueFd fd = reopen_direct(dir_fd_, kPart, created_);
  if (!fd.valid() && errno == EINVAL) GTEST_SKIP() << dir_ << ": the file system refuses O_DIRECT";
  ASSERT_TRUE(fd.valid()) << std::strerror(errno);
  struct stat reopened {}, created {};
  ASSERT_EQ(::fstat(fd.get(), &reopened), 0);
  ASSERT_EQ(::fstat(created_, &created), 0);
  EXPECT_EQ(reopened.st_dev, created.st_dev);
  EXPECT_EQ(reopened.st_ino, created.st_ino);
  int flags = ::fcntl(fd.get(), F_GETFL);
  EXPECT_TRUE(flags & O_DIRECT);
  EXPECT_EQ(flags & O_ACCMODE, O_WRONLY);
  EXPECT_TRUE(::fcntl(fd.get(), F_GETFD) & FD_CLOEXEC);
}

TEST_F(DirectReopenTest, AnotherFileRenamedOverTheNameIsRefused) {
  int planted = ::open(path("planted").c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  ASSERT_GE(planted, 0);
  ::close(planted);
  ASSERT_EQ(::rename(path("planted").c_str(), path(kPart).c_str()), 0);
  EXPECT_FALSE(reopen_direct(dir_fd_, kPart, created_).valid());
}

TEST_F(DirectReopenTest, SymlinkInPlaceOfTheNameIsRefusedEvenToTheSameFile) {
  // The created file moved aside and the name made a symlink to it: same inode behind it, but
  // a name that can be redirected is not followed.
  ASSERT_EQ(::rename(path(kPart).c_str(), path("moved").c_str()), 0);
  ASSERT_EQ(::symlink("moved", path(kPart).c_str()), 0);
  errno = 0;
  EXPECT_FALSE(reopen_direct(dir_fd_, kPart, created_).valid());
  EXPECT_EQ(errno, ELOOP);
}

TEST_F(DirectReopenTest, SymlinkToAnotherFileIsRefused) {
  ASSERT_EQ(::unlink(path(kPart).c_str()), 0);
  ASSERT_EQ(::symlink("/etc/passwd", path(kPart).c_str()), 0);
  errno = 0;
  EXPECT_FALSE(reopen_direct(dir_fd_, kPart, created_).valid());
  EXPECT_EQ(errno, ELOOP);
}

TEST_F(DirectReopenTest, MissingNameIsRefused) {
  ASSERT_EQ(::unlink(path(kPart).c_str()), 0);
  errno = 0;
  EXPECT_FALSE(reopen_direct(dir_fd_, kPart, created_).valid());
  EXPECT_EQ(errno, ENOENT);
}

}  // namespace
}  // namespace pcap_ring
