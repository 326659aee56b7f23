#include "hooks/hook_trust.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <mutex>
#include <set>

#include "common/log.h"
#include "common/unique_fd.h"

namespace pcap_ring {
namespace {

// Owner root or the daemon's effective user, and no write permission for group or others.
std::string untrusted_owner_or_mode(const struct stat& st) {
  uid_t self = ::geteuid();
  if (st.st_uid != 0 && st.st_uid != self)
    return "is owned by uid " + std::to_string(st.st_uid) + ", not by root or the daemon's user (uid " +
           std::to_string(self) + ")";
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return std::string("is writable by group or others (mode ") + mode + ")";
  }
  return "";
}

}  // namespace

bool is_run_parts_name(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string untrusted_hook(const std::string& path) {
  struct stat link {};
  if (::lstat(path.c_str(), &link) != 0) return "cannot be checked: " + errno_text(errno);
  struct stat target {};
  if (::stat(path.c_str(), &target) != 0) return "cannot be checked: " + errno_text(errno);
  std::string why = untrusted_owner_or_mode(target);
  if (!why.empty() && S_ISLNK(link.st_mode)) return "is a symlink whose target " + why;
  return why;
}

std::string untrusted_hooks_dir(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return "cannot be checked: " + errno_text(errno);
  return untrusted_owner_or_mode(st);
}

void warn_once(const std::string& key, const std::string& message) {
  static std::mutex mutex;
  static std::set<std::string> seen;
  {
    std::lock_guard lock(mutex);
    if (!seen.insert(key).second) return;
  }
  log::warning(message);
}

}  // namespace pcap_ring
