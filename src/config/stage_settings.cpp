#include "config/stage_settings.h"

#include <unistd.h>

#include <algorithm>
#include <stdexcept>

#include "common/exit_codes.h"
#include "config/ini_file.h"
#include "config/settings_table.h"

namespace pcap_ring {
namespace {

// IFACE.conf is read only for a name that stays inside the configuration directory.
bool safe_interface_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos;
}

// One line naming where a bad value came from. Suricata's lines name the key in every layer
// ("--timeout: timeout = 0: ..."); the other stages quote the value ("--ring-size '0': ...").
std::string bad_value(const SettingSpec& row, Source source, const std::string& where, const std::string& value,
                      const std::string& problem) {
  if (row.section == "suricata") {
    std::string origin = source == Source::kIniFile ? where : (source == Source::kEnvironment ? row.env : row.flag) + ": ";
    return origin + row.ini_key + " = " + value + ": " + problem;
  }
  if (source == Source::kIniFile) return where + row.ini_key + " = '" + value + "': " + problem;
  if (source == Source::kEnvironment) return row.env + "='" + value + "': " + problem;
  return row.flag + " '" + value + "': " + problem;
}

template <typename Settings>
void apply_stage_ini(Settings& settings, const std::vector<const SettingSpec*>& rows, const std::string& path) {
  auto file = read_ini_file(path, /*required=*/false);
  if (!file) return;
  for (const auto& e : file->entries)
    for (const SettingSpec* row : rows)
      if (e.section == row->section && e.key == row->ini_key)
        if (auto p = row->apply(settings, e.value, Source::kIniFile))
          throw ConfigError(bad_value(*row, Source::kIniFile, file->where(e), e.value, *p));
}

// Fills `settings` from every layer, using the rows of the settings table for its type.
template <typename Settings>
void apply_stage_layers(Settings& settings, const std::vector<const SettingSpec*>& rows, const std::string& config_dir,
                        const std::string& interface_name, const std::map<std::string, std::string>& flags,
                        const Environment& environment) {
  apply_stage_ini(settings, rows, config_dir + "/packet-capture.conf");
  if (safe_interface_name(interface_name)) apply_stage_ini(settings, rows, config_dir + "/" + interface_name + ".conf");
  for (const SettingSpec* row : rows) {
    auto it = row->env.empty() ? environment.end() : environment.find(row->env);
    if (it == environment.end()) continue;
    if (auto p = row->apply(settings, it->second, Source::kEnvironment))
      throw ConfigError(bad_value(*row, Source::kEnvironment, "", it->second, *p));
  }
  for (const SettingSpec* row : rows) {
    auto it = flags.find(row->name);
    if (it == flags.end() || row->flag.empty()) continue;
    if (auto p = row->apply(settings, it->second, Source::kCommandLine))
      throw UsageError(bad_value(*row, Source::kCommandLine, "", it->second, *p));
  }
}

// "no S3 bucket: set bucket in [s3] of DIR/packet-capture.conf, S3_BUCKET or --bucket"
std::string missing_setting(const SettingSpec& row, const char* description, const std::string& config_dir) {
  return "no " + std::string(description) + ": set " + row.ini_key + " in [" + row.section + "] of " + config_dir +
         "/packet-capture.conf, " + row.env + " or " + row.long_flag();
}

}  // namespace

template <typename Settings>
Settings load_stage_settings(const std::map<std::string, std::string>& flags, const std::string& interface_name,
                             const Environment& environment, const std::optional<RequiredSetting<Settings>>& required) {
  Settings settings;
  const std::string config_dir = stage_config_dir(flags, environment);
  if constexpr (requires(Settings& s) { s.config_dir; }) settings.config_dir = config_dir;
  const std::vector<const SettingSpec*> rows = settings_for<Settings>();
  apply_stage_layers(settings, rows, config_dir, interface_name, flags, environment);
  if (required && (settings.*(required->field)).empty()) {
    auto row = std::find_if(rows.begin(), rows.end(), [&](const SettingSpec* r) { return r->name == required->name; });
    if (row == rows.end()) throw std::logic_error(std::string("no setting named ") + required->name);
    throw ConfigError(missing_setting(**row, required->description, config_dir));
  }
  return settings;
}

template CloudSharkSettings load_stage_settings(const std::map<std::string, std::string>&, const std::string&,
                                                const Environment&,
                                                const std::optional<RequiredSetting<CloudSharkSettings>>&);
template S3Settings load_stage_settings(const std::map<std::string, std::string>&, const std::string&,
                                        const Environment&, const std::optional<RequiredSetting<S3Settings>>&);
template SuricataSettings load_stage_settings(const std::map<std::string, std::string>&, const std::string&,
                                              const Environment&,
                                              const std::optional<RequiredSetting<SuricataSettings>>&);
template AgentSettings load_stage_settings(const std::map<std::string, std::string>&, const std::string&,
                                           const Environment&, const std::optional<RequiredSetting<AgentSettings>>&);

std::string stage_config_dir(const std::map<std::string, std::string>& flags, const Environment& environment) {
  if (auto flag = flags.find("config_dir"); flag != flags.end()) {
    if (flag->second.empty()) throw UsageError("--config-dir '': expected a directory");
    return flag->second;
  }
  if (auto env = environment.find("CONFIG_DIR"); env != environment.end() && !env->second.empty()) return env->second;
  return kDefaultConfigDir;
}

std::string local_host_name() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "localhost";
  return host;
}

std::optional<std::string> check_key_template(const std::string& t) {
  static const std::vector<std::string> names = {"prefix", "host", "iface", "filename", "sequence"};
  bool has_filename_or_sequence = false;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '}') return "unmatched '}'; placeholders are {prefix} {host} {iface} {filename} {sequence}";
    if (t[i] != '{') continue;
    auto end = t.find('}', i);
    if (end == std::string::npos) return "unmatched '{'; placeholders are {prefix} {host} {iface} {filename} {sequence}";
    std::string name = t.substr(i + 1, end - i - 1);
    if (std::find(names.begin(), names.end(), name) == names.end())
      return "unknown placeholder {" + name + "}; allowed: {prefix} {host} {iface} {filename} {sequence}";
    if (name == "filename" || name == "sequence") has_filename_or_sequence = true;
    i = end;
  }
  if (!has_filename_or_sequence) return "expected a template with {filename} or {sequence}, so keys differ per file";
  return std::nullopt;
}

}  // namespace pcap_ring
