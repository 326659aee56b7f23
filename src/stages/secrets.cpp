#include "stages/secrets.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "common/exit_codes.h"
#include "common/unique_fd.h"

namespace pcap_ring {
namespace {

constexpr std::size_t kMaxSecretBytes = 64 * 1024;

std::string octal_mode(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// Reads at most kMaxSecretBytes from an open file.
std::string read_all(int fd, const std::string& path) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw ConfigError(path + ": cannot read secret: " + errno_text(errno));
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > kMaxSecretBytes) throw ConfigError(path + ": secret file is larger than 64 KiB");
  }
  return out;
}

std::string strip_newline(std::string s) {
  if (!s.empty() && s.back() == '\n') s.pop_back();
  if (!s.empty() && s.back() == '\r') s.pop_back();
  return s;
}

std::string read_credential(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd.valid()) throw ConfigError(path + ": cannot open credential: " + errno_text(errno));
  return read_all(fd.get(), path);
}

std::string read_protected_file(const SecretSpec& spec) {
  const std::string& path = spec.file;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd.valid())
    throw ConfigError(path + " (" + spec.setting + "): cannot open secret file: " + errno_text(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    throw ConfigError(path + " (" + spec.setting + "): cannot stat secret file: " + errno_text(errno));
  if (!S_ISREG(st.st_mode))
    throw ConfigError(path + " (" + spec.setting + "): secret file is not a regular file");
  if (st.st_uid != 0 && st.st_uid != ::geteuid())
    throw ConfigError(path + " (" + spec.setting + "): secret file refused: owned by uid " +
                      std::to_string(st.st_uid) + "; must be owned by root or uid " +
                      std::to_string(::geteuid()));
  if ((st.st_mode & 077) != 0)
    throw ConfigError(path + " (" + spec.setting + "): secret file refused: mode " + octal_mode(st.st_mode) +
                      " lets group or others read it; chmod 600 (or use LoadCredential=)");
  return read_all(fd.get(), path);
}

}  // namespace

std::string read_secret(const SecretSpec& spec, const std::map<std::string, std::string>& environment) {
  std::string secret;
  std::string origin;
  auto dir = environment.find("CREDENTIALS_DIRECTORY");
  std::string credential_path =
      dir != environment.end() && !dir->second.empty() ? dir->second + "/" + spec.credential : std::string();
  if (!credential_path.empty() && ::access(credential_path.c_str(), F_OK) == 0) {
    secret = read_credential(credential_path);
    origin = credential_path;
  } else if (!spec.file.empty()) {
    secret = read_protected_file(spec);
    origin = spec.file;
  } else {
    throw ConfigError("no " + spec.credential + " secret: set " + spec.setting +
                      " to a file only root can read, or provide the systemd credential '" +
                      spec.credential + "' (LoadCredential=)");
  }
  secret = strip_newline(std::move(secret));
  if (secret.empty()) throw ConfigError(origin + ": secret " + spec.credential + " is empty");
  return secret;
}

}  // namespace pcap_ring
