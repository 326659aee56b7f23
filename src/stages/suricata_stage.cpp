#include "stages/suricata_stage.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <variant>
#include <vector>

#include "config/capture_config.h"
#include "common/exit_codes.h"
#include "config/ini_file.h"
#include "common/log.h"
#include "common/unique_fd.h"
#include "stages/stage_runner.h"

namespace pcap_ring {
namespace {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

constexpr const char* kDefaultConfigDir = "/etc/packet-capture";
constexpr const char* kHiddenCopyDir = ".packet-capture.tmp";
constexpr std::size_t kMaxReply = 1 << 20;  // a reply larger than this is not Suricata's

// ---------------------------------------------------------------------------------------------
// Settings

std::optional<double> parse_seconds(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(text.c_str(), &end);
  if (errno != 0 || end != text.c_str() + text.size() || !std::isfinite(v) || v <= 0 || v > 86400)
    return std::nullopt;
  return v;
}

constexpr const char* kSecondsAllowed = "a number of seconds, > 0 and <= 86400";

// Applies one layer's value for `key`; `where` prefixes errors ("file:line: " or "VAR=").
// `relative_ok`: relative paths are resolved against the current directory (flags only).
void apply_setting(SuricataSettings& s, const std::string& key, const std::string& value,
                   const std::string& where, bool relative_ok, ExitCode code) {
  auto path_value = [&](std::string* field, const char* deflt) {
    if (value.empty()) {
      *field = deflt;
      return;
    }
    if (value.front() != '/') {
      if (!relative_ok)
        throw StartupError(code, where + key + " = " + value + ": must be an absolute path");
      std::error_code ec;
      fs::path abs = fs::absolute(value, ec);
      *field = ec ? value : abs.lexically_normal().string();
      return;
    }
    *field = fs::path(value).lexically_normal().string();
  };
  if (key == "socket") {
    path_value(&s.socket_path, kDefaultSuricataSocket);
    if (s.socket_path.size() >= sizeof(sockaddr_un{}.sun_path))
      throw StartupError(code, where + "socket = " + value + ": path too long for a unix socket (max " +
                                   std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) + " bytes)");
  } else if (key == "output_dir") {
    path_value(&s.output_dir, "");
  } else if (key == "continuous_dir") {
    path_value(&s.continuous_dir, "");
  } else if (key == "timeout") {
    if (value.empty()) {
      s.timeout_seconds = kDefaultSuricataTimeout;
      return;
    }
    auto v = parse_seconds(value);
    if (!v) throw StartupError(code, where + "timeout = " + value + ": allowed: " + kSecondsAllowed);
    s.timeout_seconds = *v;
  }
}

void apply_ini(SuricataSettings& s, const std::string& path) {
  auto file = read_ini_file(path, false);
  if (!file) return;
  for (const auto& e : file->entries)
    if (e.section == "suricata") apply_setting(s, e.key, e.value, file->where(e), false, kExitConfig);
}

bool safe_interface_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos;
}

// ---------------------------------------------------------------------------------------------
// Socket mode

std::string errno_reason(const char* what, int err) { return std::string(what) + ": " + errno_text(err); }

int remaining_ms(SteadyClock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now()).count();
  if (left <= 0) return 0;
  return left > 3'600'000 ? 3'600'000 : static_cast<int>(left);
}

// Waits for `events` on fd until the deadline: 0 ready, ETIMEDOUT, or an errno value.
int wait_for(int fd, short events, SteadyClock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int ms = remaining_ms(deadline);
    if (ms == 0) return ETIMEDOUT;
    int rc = ::poll(&p, 1, ms);
    if (rc < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (rc == 0) return ETIMEDOUT;
    return 0;
  }
}

int send_all(int fd, const std::string& data, SteadyClock::time_point deadline) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (int err = wait_for(fd, POLLOUT, deadline)) return err;
        continue;
      }
      return errno;
    }
    done += static_cast<std::size_t>(n);
  }
  return 0;
}

// Reads until the buffer holds one complete JSON value, the peer closes, or the deadline.
StageOutcome read_reply(int fd, SteadyClock::time_point deadline, const char* step, SuricataReply* reply) {
  std::string buffer;
  char chunk[4096];
  for (;;) {
    if (int err = wait_for(fd, POLLIN, deadline)) {
      if (err == ETIMEDOUT)
        return {kExitTempFail, std::string("no complete reply to ") + step + " within the timeout" +
                                   (buffer.empty() ? "" : " (got '" + buffer.substr(0, 200) + "')")};
      return {kExitTempFail, errno_reason("poll", err)};
    }
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      return {kExitTempFail, errno_reason("reading the reply", errno)};
    }
    if (n == 0)
      return {kExitTempFail, std::string("Suricata closed the connection before answering ") + step +
                                 (buffer.empty() ? "" : " (partial reply '" + buffer.substr(0, 200) + "')")};
    buffer.append(chunk, static_cast<std::size_t>(n));
    if (buffer.size() > kMaxReply) return {kExitTempFail, std::string("reply to ") + step + " too large"};
    *reply = parse_suricata_reply(buffer);
    if (reply->state == SuricataReply::State::kMalformed)
      return {kExitTempFail, std::string("unexpected reply to ") + step + ": " + reply->message};
    if (reply->state != SuricataReply::State::kIncomplete) return {kExitOk, ""};
  }
}

// ---------------------------------------------------------------------------------------------
// Continuous mode

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
  if (::lstat(target.c_str(), &st) != 0) return {kExitTempFail, errno_reason(("stat " + target).c_str(), errno)};
  if (same_file(st, src)) return {kExitOk, "already linked as " + target};
  if (!S_ISREG(st.st_mode)) return {kExitFailure, target + " exists and is not a regular file"};
  int same = same_content(file, target);
  if (same < 0) return {kExitTempFail, errno_reason(("comparing with " + target).c_str(), -same)};
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
    return {local_error_code(err), errno_reason(("copying " + file + " into " + dir).c_str(), err)};
  if (::fsync(out.get()) != 0) return {local_error_code(errno), errno_reason("fsync of the copy", errno)};
  std::string proc = "/proc/self/fd/" + std::to_string(out.get());
  int rc = ::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, target.c_str(), AT_SYMLINK_FOLLOW);
  if (rc != 0 && errno == ENOENT)  // no /proc: needs CAP_DAC_READ_SEARCH
    rc = ::linkat(out.get(), "", AT_FDCWD, target.c_str(), AT_EMPTY_PATH);
  if (rc != 0) {
    int err = errno;
    if (err == EEXIST) return existing_target(file, target, src);
    return {local_error_code(err), errno_reason(("linking the copy as " + target).c_str(), err)};
  }
  if (int err = out.close_checked()) return {local_error_code(err), errno_reason("closing the copy", err)};
  if (int err = fsync_dir(dir)) return {local_error_code(err), errno_reason(("fsync of " + dir).c_str(), err)};
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
    return {local_error_code(errno), errno_reason(("creating " + tmp_dir).c_str(), errno)};
  std::string tmp = tmp_dir + "/" + fs::path(target).filename().string() + ".XXXXXX";
  UniqueFd out(::mkostemp(tmp.data(), O_CLOEXEC));
  if (!out.valid()) return {local_error_code(errno), errno_reason(("creating " + tmp).c_str(), errno)};
  struct Unlinker {
    std::string path;
    ~Unlinker() {
      if (!path.empty()) ::unlink(path.c_str());
    }
  } cleanup{tmp};
  if (::fchmod(out.get(), src.st_mode & 0777) != 0)
    return {local_error_code(errno), errno_reason(("chmod " + tmp).c_str(), errno)};
  if (int err = copy_bytes(src_fd, out.get()))
    return {local_error_code(err), errno_reason(("copying " + file + " to " + tmp).c_str(), err)};
  if (::fsync(out.get()) != 0) return {local_error_code(errno), errno_reason("fsync of the copy", errno)};
  if (int err = out.close_checked()) return {local_error_code(err), errno_reason("closing the copy", err)};
  int rc = ::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE);
  if (rc != 0 && (errno == EINVAL || errno == ENOSYS)) {  // no RENAME_NOREPLACE: link + unlink
    rc = ::link(tmp.c_str(), target.c_str());
  }
  if (rc != 0) {
    int err = errno;
    if (err == EEXIST) return existing_target(file, target, src);
    return {local_error_code(err), errno_reason(("renaming the copy to " + target).c_str(), err)};
  }
  ::unlink(tmp.c_str());  // after link(); after rename it is already gone
  cleanup.path.clear();
  if (int err = fsync_dir(dir)) return {local_error_code(err), errno_reason(("fsync of " + dir).c_str(), err)};
  return {kExitOk, "copied into " + target};
}

}  // namespace

// ---------------------------------------------------------------------------------------------

std::variant<StageOutcome, TmpfileUnsupported> tmpfile_failure(int err, const std::string& dir) {
  if (err == EOPNOTSUPP || err == EISDIR || err == EINVAL || err == ENOENT) return TmpfileUnsupported{};
  return StageOutcome{local_error_code(err), errno_reason(("creating a temporary file in " + dir).c_str(), err)};
}

SuricataSettings load_suricata_settings(const SuricataFlags& flags, const std::string& interface_name,
                                        const std::map<std::string, std::string>& environment) {
  auto env = [&](const char* name) -> const std::string* {
    auto it = environment.find(name);
    return it == environment.end() ? nullptr : &it->second;
  };
  std::string config_dir = kDefaultConfigDir;
  if (const std::string* v = env("CONFIG_DIR"); v && !v->empty()) config_dir = *v;
  if (!flags.config_dir.empty()) config_dir = flags.config_dir;

  SuricataSettings s;
  apply_ini(s, config_dir + "/packet-capture.conf");
  if (safe_interface_name(interface_name)) apply_ini(s, config_dir + "/" + interface_name + ".conf");
  if (const std::string* v = env("SURICATA_SOCKET")) apply_setting(s, "socket", *v, "SURICATA_SOCKET: ", false, kExitConfig);
  if (const std::string* v = env("SURICATA_CONTINUOUS_DIR"))
    apply_setting(s, "continuous_dir", *v, "SURICATA_CONTINUOUS_DIR: ", false, kExitConfig);
  if (!flags.socket.empty()) apply_setting(s, "socket", flags.socket, "--socket: ", true, kExitUsage);
  if (!flags.output_dir.empty()) apply_setting(s, "output_dir", flags.output_dir, "--output-dir: ", true, kExitUsage);
  if (!flags.continuous_dir.empty())
    apply_setting(s, "continuous_dir", flags.continuous_dir, "--continuous-dir: ", true, kExitUsage);
  if (!flags.timeout.empty()) apply_setting(s, "timeout", flags.timeout, "--timeout: ", true, kExitUsage);
  return s;
}

SuricataReply parse_suricata_reply(std::string_view buffer) {
  using State = SuricataReply::State;
  std::size_t first = buffer.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {State::kIncomplete, ""};
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(buffer);
  } catch (const nlohmann::json::parse_error& e) {
    // An error at the very end of the input means the value has not fully arrived yet.
    if (e.byte >= buffer.size()) return {State::kIncomplete, ""};
    return {State::kMalformed, "not JSON: '" + std::string(buffer.substr(0, 200)) + "'"};
  }
  if (!j.is_object() || !j.contains("return") || !j["return"].is_string())
    return {State::kMalformed, "no \"return\" in '" + std::string(buffer.substr(0, 200)) + "'"};
  std::string message;
  if (j.contains("message")) message = j["message"].is_string() ? j["message"].get<std::string>() : j["message"].dump();
  const std::string& ret = j["return"].get_ref<const std::string&>();
  if (ret == "OK") return {State::kOk, message};
  if (ret == "NOK") return {State::kError, message.empty() ? "NOK" : message};
  return {State::kMalformed, "unknown \"return\": \"" + ret + "\""};
}

std::string suricata_version_request() { return nlohmann::json{{"version", "0.2"}}.dump(); }

std::string suricata_pcap_file_request(const std::string& filename, const std::string& output_dir) {
  nlohmann::json j = {{"command", "pcap-file"}, {"arguments", {{"filename", filename}, {"output-dir", output_dir}}}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

StageOutcome submit_to_suricata_socket(const std::string& file, const SuricataSettings& settings) {
  auto deadline = SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(
                                     std::chrono::duration<double>(settings.timeout_seconds));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (settings.socket_path.size() >= sizeof addr.sun_path)
    return {kExitConfig, "socket path too long: " + settings.socket_path};
  std::memcpy(addr.sun_path, settings.socket_path.c_str(), settings.socket_path.size() + 1);

  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return {kExitTempFail, errno_reason("socket", errno)};
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    if (err == EINPROGRESS || err == EAGAIN) {  // listen backlog full: Suricata busy
      return {kExitTempFail, "Suricata at " + settings.socket_path + " is busy (" + errno_text(err) + ")"};
    }
    return {kExitTempFail, "cannot reach Suricata at " + settings.socket_path + ": " + errno_text(err)};
  }

  if (int err = send_all(fd.get(), suricata_version_request(), deadline))
    return {kExitTempFail, errno_reason("sending the version handshake", err)};
  SuricataReply reply;
  StageOutcome r = read_reply(fd.get(), deadline, "the version handshake", &reply);
  if (r.code != kExitOk) return r;
  if (reply.state != SuricataReply::State::kOk)
    return {kExitTempFail, "Suricata refused protocol version 0.2: " + reply.message};

  if (int err = send_all(fd.get(), suricata_pcap_file_request(file, settings.output_dir), deadline))
    return {kExitTempFail, errno_reason("sending pcap-file", err)};
  r = read_reply(fd.get(), deadline, "pcap-file", &reply);
  if (r.code != kExitOk) return r;
  if (reply.state != SuricataReply::State::kOk) return {kExitFailure, "Suricata rejected the file: " + reply.message};
  return {kExitOk, "queued by Suricata" + (reply.message.empty() ? "" : ": " + reply.message)};
}

StageOutcome link_into_continuous_dir(const std::string& file, const std::string& dir, bool allow_tmpfile) {
  struct stat src {};
  if (::stat(file.c_str(), &src) != 0) return {kExitFailure, errno_reason(("stat " + file).c_str(), errno)};
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
    if (err) return {local_error_code(err), errno_reason(("fsync of " + dir).c_str(), err)};
    return {kExitOk, "linked as " + target};
  }
  int err = errno;
  if (err == EEXIST) return existing_target(file, target, src);
  if (err != EXDEV && err != EPERM && err != EMLINK && err != EOPNOTSUPP && err != ENOSYS)
    return {local_error_code(err), errno_reason(("link " + file + " -> " + target).c_str(), err)};

  // Different filesystem (or no hard links there): copy, never visible half-written.
  UniqueFd in(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.valid()) return {kExitFailure, errno_reason(("open " + file).c_str(), errno)};
  if (allow_tmpfile) {
    auto copied = copy_via_tmpfile(in.get(), src, file, dir, target);
    if (auto* outcome = std::get_if<StageOutcome>(&copied)) return *outcome;
    if (::lseek(in.get(), 0, SEEK_SET) != 0) return {kExitFailure, errno_reason("lseek", errno)};
  }
  return copy_via_hidden_dir(in.get(), src, file, dir, target);
}

namespace {

// Hands the file over in the configured mode; throws ConfigError for settings that cannot work.
StageOutcome hand_over(const std::string& path, const SuricataSettings& settings) {
  StageOutcome r;
  if (settings.continuous()) {
    r = link_into_continuous_dir(path, settings.continuous_dir);
  } else {
    if (settings.output_dir.empty())
      throw ConfigError(
          "no output directory for Suricata's logs: set --output-dir or output_dir in [suricata] "
          "(or use continuous mode: --continuous-dir, continuous_dir, SURICATA_CONTINUOUS_DIR)");
    struct stat od {};
    if (::stat(settings.output_dir.c_str(), &od) != 0 || !S_ISDIR(od.st_mode))
      throw ConfigError("output_dir " + settings.output_dir + " does not exist or is not a directory");
    r = submit_to_suricata_socket(path, settings);
  }
  if (r.code == kExitConfig) throw ConfigError(r.message);
  return r;
}

}  // namespace

int run_suricata_stage(const HookFileInfo& file, const SuricataSettings& settings) {
  return run_stage("suricata", [&]() -> int {
    const std::string& path = file.path;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      log::error("suricata: " + path + ": " + errno_text(errno));
      return kExitFailure;
    }
    if (!S_ISREG(st.st_mode)) {
      log::error("suricata: " + path + ": not a regular file");
      return kExitFailure;
    }
    StageOutcome r = hand_over(path, settings);
    std::string line = "suricata: " + path + ": " + r.message;
    if (r.code == kExitOk)
      log::info(line);
    else if (r.code == kExitTempFail)
      log::warning(line + " (retry later)");
    else
      log::error(line);
    return r.code;
  });
}

void add_suricata_hook_command(CLI::App& hook_app, int* exit_status) {
  CLI::App* sub = hook_app.add_subcommand("suricata", "Hand a finished capture file to Suricata");
  auto flags = std::make_shared<SuricataFlags>();
  auto file = std::make_shared<std::string>();
  sub->add_option("FILE", *file, "Finished capture file")->required();
  sub->add_option("--socket", flags->socket, std::string("Suricata's unix command socket (default ") +
                                                  kDefaultSuricataSocket + "; env SURICATA_SOCKET)");
  sub->add_option("--output-dir", flags->output_dir, "Directory Suricata logs this file's alerts into (socket mode)");
  sub->add_option("--continuous-dir", flags->continuous_dir,
                  "Link the file into this directory for `suricata -r DIR --pcap-file-continuous` instead "
                  "(env SURICATA_CONTINUOUS_DIR)");
  sub->add_option("--timeout", flags->timeout, "Seconds to wait for Suricata's replies (default 30)");
  sub->add_option("--config-dir", flags->config_dir, "Directory of packet-capture.conf and IFACE.conf ([suricata])");
  sub->footer(
      "Settings: defaults < packet-capture.conf [suricata] < IFACE.conf [suricata] < SURICATA_SOCKET,\n"
      "SURICATA_CONTINUOUS_DIR < flags. Exit status: 0 handed over; 75 Suricata unreachable, busy or\n"
      "timed out (retry later); 1 Suricata rejected the file; 78 bad settings; 64 bad usage.");
  sub->callback([flags, file, exit_status]() {
    try {
      auto env = current_environment();
      HookFileInfo info = hook_file_info_from_environment(*file, env);
      SuricataSettings settings = load_suricata_settings(*flags, info.interface_name, env);
      *exit_status = run_suricata_stage(info, settings);
    } catch (const StartupError& e) {
      log::error(e.what());
      *exit_status = e.code();
    } catch (const std::exception& e) {
      log::error(std::string("suricata: internal error: ") + e.what());
      *exit_status = kExitSoftware;
    }
  });
}

}  // namespace pcap_ring
