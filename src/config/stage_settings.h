// Settings of a built-in stage, layered like the capture configuration: defaults,
// CONFIG_DIR/packet-capture.conf, CONFIG_DIR/<interface>.conf (the stage's INI section),
// the environment, then flags. CONFIG_DIR comes from --config-dir, $CONFIG_DIR or
// /etc/packet-capture.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/exit_codes.h"
#include "config/ini_file.h"
#include "config/setting_values.h"

namespace pcap_ring {

template <typename Settings>
struct StageSpec {
  const char* key;   // INI key in the stage's section, and the flag map's key
  const char* env;   // environment variable, or nullptr
  const char* flag;  // flag, or nullptr
  const char* help;
  std::function<Problem(Settings&, const std::string&)> apply;
};

// The configuration directory for a stage run (throws UsageError for an empty --config-dir).
std::string stage_config_dir(const std::map<std::string, std::string>& flags,
                             const std::map<std::string, std::string>& environment);

template <typename Settings>
void load_stage_settings(Settings& settings, const std::vector<StageSpec<Settings>>& specs, const std::string& section,
                         const std::string& config_dir, const std::string& interface_name,
                         const std::map<std::string, std::string>& flags,
                         const std::map<std::string, std::string>& environment) {
  auto apply_ini = [&](const std::string& path) {
    auto file = read_ini_file(path, /*required=*/false);
    if (!file) return;
    for (const auto& e : file->entries) {
      if (e.section != section) continue;
      for (const auto& spec : specs) {
        if (e.key != spec.key) continue;
        if (auto p = spec.apply(settings, e.value))
          throw ConfigError(file->where(e) + e.key + " = '" + e.value + "': " + *p);
      }
    }
  };
  apply_ini(config_dir + "/packet-capture.conf");
  if (!interface_name.empty()) apply_ini(config_dir + "/" + interface_name + ".conf");
  for (const auto& spec : specs) {
    if (!spec.env) continue;
    auto it = environment.find(spec.env);
    if (it == environment.end()) continue;
    if (auto p = spec.apply(settings, it->second))
      throw ConfigError(std::string(spec.env) + "='" + it->second + "': " + *p);
  }
  for (const auto& spec : specs) {
    auto it = flags.find(spec.key);
    if (it == flags.end() || !spec.flag) continue;
    if (auto p = spec.apply(settings, it->second))
      throw UsageError(std::string(spec.flag) + " '" + it->second + "': " + *p);
  }
}

// The command line of `packet-capture hook NAME FILE [flags]`: FILE, --config-dir and one
// flag per setting that has one. Filled in by CLI11 when the command line is parsed.
struct StageCommandLine {
  std::string file;
  std::string config_dir;
  CLI::Option* config_dir_option = nullptr;
  std::map<std::string, std::string> values;
  std::vector<std::pair<std::string, CLI::Option*>> options;
  // The flags given, by setting key (plus "config_dir").
  std::map<std::string, std::string> flags() const;
};

template <typename Settings>
std::shared_ptr<StageCommandLine> add_stage_flags(CLI::App* cmd, const std::vector<StageSpec<Settings>>& specs) {
  auto line = std::make_shared<StageCommandLine>();
  cmd->add_option("FILE", line->file, "Finished capture file")->required();
  line->config_dir_option =
      cmd->add_option("--config-dir", line->config_dir, "Directory of packet-capture.conf and IFACE.conf");
  for (const auto& spec : specs) {
    if (!spec.flag) continue;
    std::string& slot = line->values[spec.key];
    line->options.emplace_back(spec.key, cmd->add_option(spec.flag, slot, spec.help));
  }
  return line;
}

// The stage runner (exceptions to exit statuses) is stages/stage_runner.h.

// This host's name for tags and object keys ("localhost" if it cannot be read).
std::string local_host_name();

}  // namespace pcap_ring
