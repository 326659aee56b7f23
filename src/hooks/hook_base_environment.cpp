#include "hooks/hook_base_environment.h"

#include "hooks/hook_environment.h"

#include <algorithm>
#include <array>
#include <string_view>

namespace pcap_ring {
namespace {

constexpr std::array<std::string_view, 4> kAlwaysPassed = {"PATH", "LANG", "TZ", "CREDENTIALS_DIRECTORY"};

}  // namespace

std::vector<std::string> hook_base_environment(const std::map<std::string, std::string>& daemon_env,
                                               const std::vector<std::string>& pass_names,
                                               const std::string& config_dir) {
  std::vector<std::string> env;
  for (const auto& [name, value] : daemon_env) {
    if (name == "CONFIG_DIR" || is_hook_environment_entry(name)) continue;
    bool passed = name.starts_with("PCAP_") ||
                  std::find(kAlwaysPassed.begin(), kAlwaysPassed.end(), name) != kAlwaysPassed.end() ||
                  std::find(pass_names.begin(), pass_names.end(), name) != pass_names.end();
    if (passed) env.push_back(name + "=" + value);
  }
  if (!config_dir.empty()) env.push_back("CONFIG_DIR=" + config_dir);
  return env;
}

}  // namespace pcap_ring
