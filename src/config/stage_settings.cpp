#include "config/stage_settings.h"

#include <unistd.h>

#include "common/log.h"

namespace pcap_ring {

std::map<std::string, std::string> StageCommandLine::flags() const {
  std::map<std::string, std::string> out;
  for (const auto& [key, option] : options)
    if (option->count() > 0) out[key] = values.at(key);
  if (config_dir_option->count() > 0) out["config_dir"] = config_dir;
  return out;
}

std::string local_host_name() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "localhost";
  return host;
}

std::string stage_config_dir(const std::map<std::string, std::string>& flags,
                             const std::map<std::string, std::string>& environment) {
  if (auto flag = flags.find("config_dir"); flag != flags.end()) {
    if (flag->second.empty()) throw UsageError("--config-dir '': expected a directory");
    return flag->second;
  }
  if (auto env = environment.find("CONFIG_DIR"); env != environment.end() && !env->second.empty()) return env->second;
  return "/etc/packet-capture";
}

}  // namespace pcap_ring
