// Which hooks the daemon is willing to run. Hooks run with the daemon's privileges (root when
// started outside the shipped unit), so a hook must be named as run-parts names them
// (^[A-Za-z0-9_-]+$: editor backups, "*.disabled", "*.dpkg-old" and names with spaces or shell
// characters never run), and neither the hook (a symlink's target included) nor hooks.d may be
// owned by another user than root or the daemon's own, nor be writable by group or others.
#pragma once

#include <string>

namespace pcap_ring {

// run-parts' default naming rule: non-empty, only ASCII letters, digits, '_' and '-'.
bool is_run_parts_name(const std::string& name);

// "" when `path` (stat: a symlink is judged by its target) may be run; otherwise why not
// ("is owned by uid 1000", "is writable by group or others (mode 0777)").
std::string untrusted_hook(const std::string& path);

// The same owner and mode rules for the hooks directory itself.
std::string untrusted_hooks_dir(const std::string& dir);

// Logs `message` as a warning the first time this process sees `key`, never again: a
// skipped or refused hook is reported once, not for every file.
void warn_once(const std::string& key, const std::string& message);

}  // namespace pcap_ring
