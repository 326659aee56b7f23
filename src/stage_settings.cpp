#include "stage_settings.h"

namespace pcap_ring {

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
