// What a hook inherits from the daemon's environment. Hooks run as the daemon's user, often
// root: the daemon's own variables (NOTIFY_SOCKET, WATCHDOG_*, credentials of the shell that
// started it) must not reach them, so only the documented ones pass.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace pcap_ring {

// "KEY=VALUE" entries a hook starts from: PATH, LANG, TZ, CREDENTIALS_DIRECTORY, every PCAP_*
// variable other than the per-file ones, and the variables named in `pass_names`; CONFIG_DIR is
// set to `config_dir` so the built-in stages read the daemon's settings.
std::vector<std::string> hook_base_environment(const std::map<std::string, std::string>& daemon_env,
                                               const std::vector<std::string>& pass_names,
                                               const std::string& config_dir);

}  // namespace pcap_ring
