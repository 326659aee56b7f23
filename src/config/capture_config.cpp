#include "config/capture_config.h"

#include <filesystem>

#include "common/exit_codes.h"
#include "config/ini_file.h"
#include "config/settings_table.h"
#include "ring/ring_names.h"

namespace pcap_ring {
namespace {

const SettingSpec* find_setting(const std::string& name) {
  for (const SettingSpec* row : settings_for<CaptureConfig>())
    if (name == row->name) return row;
  return nullptr;
}

const SettingSpec* find_ini_setting(const std::string& section, const std::string& ini_key) {
  for (const SettingSpec* row : settings_for<CaptureConfig>())
    if (!row->ini_key.empty() && section == row->section && ini_key == row->ini_key) return row;
  return nullptr;
}

// Applies one layer of text settings, naming the source in any error.
void apply_layer(CaptureConfig& config, const RawSettings& layer, Source source) {
  for (const auto& [key, value] : layer.values) {
    const SettingSpec* spec = find_setting(key);
    if (!spec) throw UsageError("unknown setting " + key);
    if (auto err = spec->apply(config, value, source)) {
      if (source == Source::kCommandLine)
        throw UsageError(spec->long_flag() + " '" + value + "': " + *err);
      throw ConfigError("ADDITIONAL_ARGS: " + spec->long_flag() + " '" + value + "': " + *err);
    }
  }
}

void apply_environment(CaptureConfig& config, const Environment& env) {
  for (const SettingSpec* spec : settings_for<CaptureConfig>()) {
    if (spec->env.empty()) continue;
    auto it = env.find(spec->env);
    // An empty variable means "not set": the classic unit ships FILTER= and friends empty.
    if (it == env.end() || it->second.empty()) continue;
    if (auto err = spec->apply(config, it->second, Source::kEnvironment))
      throw ConfigError(spec->env + "=" + it->second + ": " + *err);
  }
}

void apply_ini_file(CaptureConfig& config, const std::string& path, bool required) {
  auto file = read_ini_file(path, required);
  if (!file) return;
  for (const auto& e : file->entries) {
    const SettingSpec* spec = find_ini_setting(e.section, e.key);
    if (!spec) continue;  // a section another part of the product reads
    if (auto err = spec->apply(config, e.value, Source::kIniFile))
      throw ConfigError(file->where(e) + e.key + " = " + e.value + ": " + *err);
  }
}

void validate(const CaptureConfig& c) {
  if (c.interface_name.empty())
    throw UsageError("no interface: give --interface IFACE (or --read FILE)");
  if (c.max_bytes != 0 && c.max_bytes < c.file_size_bytes())
    throw ConfigError("max_bytes " + std::to_string(c.max_bytes) + " is smaller than one file (" +
                      std::to_string(c.file_size_bytes()) +
                      " bytes); expected 0 (no budget) or at least file_size");
}

std::string stem_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  auto dot = base.find('.');
  if (dot != std::string::npos && dot > 0) base = base.substr(0, dot);
  if (!is_valid_name_part(base)) base = "read";
  return base;
}

}  // namespace

RetentionLimits CaptureConfig::retention() const {
  RetentionLimits limits{file_limit, max_bytes, hook_backlog_bytes, min_free_mb * 1000000ULL};
  if (limits.backlog_bytes == 0)
    limits.backlog_bytes = max_bytes ? max_bytes : 2 * file_limit * file_size_bytes();
  return limits;
}

CaptureConfig load_capture_config(const RawSettings& command_line, const Environment& environment,
                                  const FlagWordsParser& parse_flag_words) {
  // ADDITIONAL_ARGS are flags delivered through the environment: parsed like the command
  // line, ranked between the environment and the real command line.
  RawSettings additional;
  if (auto it = environment.find("ADDITIONAL_ARGS"); it != environment.end() && !it->second.empty()) {
    std::vector<std::string> words;
    if (!split_shell_words(it->second, &words))
      throw ConfigError("ADDITIONAL_ARGS=" + it->second + ": unterminated quote");
    try {
      additional = parse_flag_words(words);
    } catch (const std::exception& e) {
      throw ConfigError("ADDITIONAL_ARGS=" + it->second + ": " + e.what());
    }
  }

  // Which files to read depends on the interface and config locations from the later layers.
  CaptureConfig locate;
  apply_environment(locate, environment);
  apply_layer(locate, additional, Source::kAdditionalArgs);
  apply_layer(locate, command_line, Source::kCommandLine);

  CaptureConfig config;
  config.config_dir = locate.config_dir;
  config.config_file = locate.config_file;
  if (!locate.config_file.empty()) {
    apply_ini_file(config, locate.config_file, /*required=*/true);
  } else {
    apply_ini_file(config, locate.config_dir + "/packet-capture.conf", false);
  }
  std::string ring_name = locate.interface_name.empty() && !locate.read_file.empty()
                              ? stem_of(locate.read_file)
                              : locate.interface_name;
  if (!ring_name.empty()) apply_ini_file(config, locate.config_dir + "/" + ring_name + ".conf", false);
  apply_environment(config, environment);
  apply_layer(config, additional, Source::kAdditionalArgs);
  apply_layer(config, command_line, Source::kCommandLine);

  if (config.interface_name.empty() && !config.read_file.empty()) config.interface_name = ring_name;
  if (config.output_dir.empty() && !config.interface_name.empty())
    config.output_dir = std::string(kDefaultStateRoot) + "/" + config.interface_name;
  // Hooks are promised absolute paths, whatever directory the daemon was started in.
  std::error_code ec;
  if (!config.output_dir.empty()) config.output_dir = std::filesystem::absolute(config.output_dir, ec).lexically_normal().string();
  if (!config.hooks_dir.empty()) config.hooks_dir = std::filesystem::absolute(config.hooks_dir, ec).lexically_normal().string();
  while (config.output_dir.size() > 1 && config.output_dir.back() == '/') config.output_dir.pop_back();
  validate(config);
  return config;
}

}  // namespace pcap_ring
