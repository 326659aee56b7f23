// The one table of settings: every value the product reads from INI files, the environment or
// flags is one row here, for the capture daemon ([capture], [hooks]) and the built-in stages
// ([cloudshark], [s3], [suricata]) alike. The INI schema, the flags of `run` and of the stage
// subcommands, the environment names and what a reload applies are all derived from it.
// Adding a setting is adding a row (and its field).
#pragma once

#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "config/agent_settings.h"
#include "config/capture_config.h"
#include "config/setting_values.h"
#include "config/stage_settings.h"

namespace pcap_ring {

// Stores `value` (from `source`) in a settings struct; returns what is allowed when the value
// is not acceptable.
template <typename Settings>
using SettingParser = std::function<Problem(Settings&, const std::string& value, Source source)>;

using AnySettingParser = std::variant<SettingParser<CaptureConfig>, SettingParser<CloudSharkSettings>,
                                      SettingParser<S3Settings>, SettingParser<SuricataSettings>,
                                      SettingParser<AgentSettings>>;

// Where a capture setting's value is stored, so a reload can compare and copy it.
struct CaptureField {
  std::function<void(CaptureConfig& to, const CaptureConfig& from)> copy;
  std::function<bool(const CaptureConfig& a, const CaptureConfig& b)> equal;
};

template <auto Member>
CaptureField stored_in() {
  return {[](CaptureConfig& to, const CaptureConfig& from) { to.*Member = from.*Member; },
          [](const CaptureConfig& a, const CaptureConfig& b) { return a.*Member == b.*Member; }};
}

struct SettingSpec {
  std::string section;        // INI section, also the owner: capture, hooks, cloudshark, s3, suricata
  std::string name;           // unique among the rows of one settings struct: RawSettings / flag key
  std::string ini_key;        // key in `section`; "" = not read from INI files
  std::string env;            // environment variable; "" = none
  std::string flag;           // CLI11 names with short aliases ("-C,--file-size"); "" = none
  std::string value_name;     // shown in --help ("MB")
  std::string help;
  std::string default_value;  // the struct's initial value, as text ("" = empty)
  bool reloadable = false;    // SIGHUP applies it to a running capture
  CaptureField field;         // capture settings only
  AnySettingParser parse;

  std::string long_flag() const;  // "--file-size"
  template <typename Settings>
  bool configures() const { return std::holds_alternative<SettingParser<Settings>>(parse); }
  template <typename Settings>
  Problem apply(Settings& settings, const std::string& value, Source source) const {
    return std::get<SettingParser<Settings>>(parse)(settings, value, source);
  }
};

// Every row, in --help order.
const std::vector<SettingSpec>& settings_table();

// The rows that configure `Settings`, in table order.
template <typename Settings>
std::vector<const SettingSpec*> settings_for() {
  std::vector<const SettingSpec*> rows;
  for (const auto& row : settings_table())
    if (row.configures<Settings>()) rows.push_back(&row);
  return rows;
}

}  // namespace pcap_ring
