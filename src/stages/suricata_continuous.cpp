#include "stages/suricata_continuous.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

#include "common/log.h"
#include "common/unique_fd.h"
#include "stages/stage_files.h"

namespace pcap_ring {
namespace {

namespace fs = std::filesystem;
constexpr const char* kHiddenCopyDir = ".packet-capture.tmp";

bool same_file(const struct stat& a, const struct stat& b) { return a.st_dev == b.st_dev && a.st_ino == b.st_ino; }

// 1: identical bytes, 0: different, -errno on a read error.
int same_content(const std::string& a, const std::string& b) {
  UniqueFd fa(::open(a.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fa.valid()) return -errno;
  UniqueFd fb(::open(b.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fb.valid()) return -errno;
  struct stat sa {}, sb {};
  if (::fstat(fa.get(), &sa) != 0 || ::fstat(fb.get(), &sb) != 0) return -errno;
  if (sa.st_size != sb.st_size) return 0;
  std::vector<char> ba(1 << 16), bb(1 << 16);
  for (;;) {
    ssize_t na = ::read(fa.get(), ba.data(), ba.size());
    if (na < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    if (na == 0) return 1;
    std::size_t got = 0;
    while (got < static_cast<std::size_t>(na)) {
      ssize_t nb = ::read(fb.get(), bb.data() + got, static_cast<std::size_t>(na) - got);
      if (nb < 0) {
        if (errno == EINTR) continue;
        return -errno;
      }
      if (nb == 0) return 0;
      got += static_cast<std::size_t>(nb);
    }
    if (std::memcmp(ba.data(), bb.data(), got) != 0) return 0;
  }
}

// What to do when DIR/NAME already exists.
StageOutcome existing_target(const std::string& file, const std::string& target, const struct stat& src) {
  struct stat st {};
  if (::lstat(target.c_str(), &st) != 0) return {kExitTempFail, errno_reason("stat " + target, errno)};
  if (same_file(st, src)) return {kExitOk, "already linked as " + target};
  if (!S_ISREG(st.st_mode)) return {kExitFailure, target + " exists and is not a regular file"};
  int same = same_content(file, target);
  if (same < 0) return {kExitTempFail, errno_reason("comparing with " + target, -same)};
  if (same == 1) return {kExitOk, "identical copy already present as " + target};
  return {kExitFailure, target + " already exists with different content; not overwritten"};
}

// Local errors: out of space is temporary, permissions/read-only are settings, others final.
ExitCode local_error_code(int err) {
  switch (err) {
    case ENOSPC:
    case EDQUOT:
    case ENOMEM:
    case EINTR:
    case EAGAIN:
      return kExitTempFail;
    case EACCES:
    case EROFS:
      return kExitConfig;
    default:
      return kExitFailure;
  }
}

int copy_bytes(int in, int out) {
  std::vector<char> buf(1 << 20);
  for (;;) {
    ssize_t n = ::read(in, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return 0;
    if (int err = write_all(out, buf.data(), static_cast<std::size_t>(n), nullptr)) return err;
  }
}

int fsync_dir(const std::string& dir) {
  UniqueFd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!d.valid()) return errno;
  if (::fsync(d.get()) != 0) return errno;
  return d.close_checked();
}

// Fills the unnamed file `out` in `dir` with the source, then gives it its name.
StageOutcome publish_tmpfile_copy(UniqueFd out, int src_fd, const struct stat& src, const std::string& file,
                                  const std::string& dir, const std::string& target) {
  if (int err = copy_bytes(src_fd, out.get()))
    return {local_error_code(err), errno_reason("copying " + file + " into " + dir, err)};
  if (::fsync(out.get()) != 0) return {local_error_code(errno), errno_reason("fsync of the copy", errno)};
  std::string proc = "/proc/self/fd/" + std::to_string(out.get());
  int rc = ::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, target.c_str(), AT_SYMLINK_FOLLOW);
  if (rc != 0 && errno == ENOENT)  // no /proc: needs CAP_DAC_READ_SEARCH
    rc = ::linkat(out.get(), "", AT_FDCWD, target.c_str(), AT_EMPTY_PATH);
  if (rc != 0) {
    int err = errno;
    if (err == EEXIST) return existing_target(file, target, src);
    return {local_error_code(err), errno_reason("linking the copy as " + target, err)};
  }
  if (int err = out.close_checked()) return {local_error_code(err), errno_reason("closing the copy", err)};
  if (int err = fsync_dir(dir)) return {local_error_code(err), errno_reason("fsync of " + dir, err)};
  return {kExitOk, "copied into " + target};
}

// Copy into an unnamed file in `dir`, then give it its name; TmpfileUnsupported when the
// filesystem cannot make one, so the caller falls back to the hidden directory.
std::variant<StageOutcome, TmpfileUnsupported> copy_via_tmpfile(int src_fd, const struct stat& src,
                                                                const std::string& file, const std::string& dir,
                                                                const std::string& target) {
  UniqueFd out(::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, src.st_mode & 0777));
  if (!out.valid()) return tmpfile_failure(errno, dir);
  return publish_tmpfile_copy(std::move(out), src_fd, src, file, dir, target);
}

// Copy into DIR/.packet-capture.tmp/NAME.XXXXXX (a directory: Suricata skips it), then rename.
StageOutcome copy_via_hidden_dir(int src_fd, const struct stat& src, const std::string& file, const std::string& dir,
                                const std::string& target) {
  std::string tmp_dir = dir + "/" + kHiddenCopyDir;
  if (::mkdir(tmp_dir.c_str(), 0700) != 0 && errno != EEXIST)
    return {local_error_code(errno), errno_reason("creating " + tmp_dir, errno)};
  std::string tmp = tmp_dir + "/" + fs::path(target).filename().string() + ".XXXXXX";
  UniqueFd out(::mkostemp(tmp.data(), O_CLOEXEC));
  if (!out.valid()) return {local_error_code(errno), errno_reason("creating " + tmp, errno)};
  struct Unlinker {
    std::string path;
    ~Unlinker() {
      if (!path.empty()) ::unlink(path.c_str());
    }
  } cleanup{tmp};
  if (::fchmod(out.get(), src.st_mode & 0777) != 0)
    return {local_error_code(errno), errno_reason("chmod " + tmp, errno)};
  if (int err = copy_bytes(src_fd, out.get()))
    return {local_error_code(err), errno_reason("copying " + file + " to " + tmp, err)};
  if (::fsync(out.get()) != 0) return {local_error_code(errno), errno_reason("fsync of the copy", errno)};
  if (int err = out.close_checked()) return {local_error_code(err), errno_reason("closing the copy", err)};
  int rc = ::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE);
  if (rc != 0 && (errno == EINVAL || errno == ENOSYS)) {  // no RENAME_NOREPLACE: link + unlink
    rc = ::link(tmp.c_str(), target.c_str());
  }
  if (rc != 0) {
    int err = errno;
    if (err == EEXIST) return existing_target(file, target, src);
    return {local_error_code(err), errno_reason("renaming the copy to " + target, err)};
  }
  ::unlink(tmp.c_str());  // after link(); after rename it is already gone
  cleanup.path.clear();
  if (int err = fsync_dir(dir)) return {local_error_code(err), errno_reason("fsync of " + dir, err)};
  return {kExitOk, "copied into " + target};
}

}  // namespace

std::variant<StageOutcome, TmpfileUnsupported> tmpfile_failure(int err, const std::string& dir) {
  if (err == EOPNOTSUPP || err == EISDIR || err == EINVAL || err == ENOENT) return TmpfileUnsupported{};
  return StageOutcome{local_error_code(err), errno_reason("creating a temporary file in " + dir, err)};
}

StageOutcome link_into_continuous_dir(const std::string& file, const std::string& dir, bool allow_tmpfile) {
  struct stat src {};
  if (::stat(file.c_str(), &src) != 0) return {kExitFailure, errno_reason("stat " + file, errno)};
  if (!S_ISREG(src.st_mode)) return {kExitFailure, file + " is not a regular file"};
  struct stat dst {};
  if (::stat(dir.c_str(), &dst) != 0 || !S_ISDIR(dst.st_mode))
    return {kExitConfig, "continuous directory " + dir + " does not exist or is not a directory"};
  std::string name = fs::path(file).filename().string();
  std::string target = (fs::path(dir) / name).string();

  if (::link(file.c_str(), target.c_str()) == 0) {
    // Suricata skips files older than its last scan: make the new entry "now".
    timespec times[2] = {{0, UTIME_OMIT}, {0, UTIME_NOW}};
    if (::utimensat(AT_FDCWD, target.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
      log::warning("suricata: cannot set mtime of " + target + ": " + errno_text(errno) +
                   " (Suricata may skip a file older than its last directory scan)");
    int err = fsync_dir(dir);
    if (err) return {local_error_code(err), errno_reason("fsync of " + dir, err)};
    return {kExitOk, "linked as " + target};
  }
  int err = errno;
  if (err == EEXIST) return existing_target(file, target, src);
  if (err != EXDEV && err != EPERM && err != EMLINK && err != EOPNOTSUPP && err != ENOSYS)
    return {local_error_code(err), errno_reason("link " + file + " -> " + target, err)};

  // Different filesystem (or no hard links there): copy, never visible half-written.
  UniqueFd in(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.valid()) return {kExitFailure, errno_reason("open " + file, errno)};
  if (allow_tmpfile) {
    auto copied = copy_via_tmpfile(in.get(), src, file, dir, target);
    if (auto* outcome = std::get_if<StageOutcome>(&copied)) return *outcome;
    if (::lseek(in.get(), 0, SEEK_SET) != 0) return {kExitFailure, errno_reason("lseek", errno)};
  }
  return copy_via_hidden_dir(in.get(), src, file, dir, target);
}

}  // namespace pcap_ring
