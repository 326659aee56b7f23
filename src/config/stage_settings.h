// Settings of the built-in stages (`packet-capture hook cloudshark|s3|suricata FILE`), layered
// like the capture configuration: defaults, CONFIG_DIR/packet-capture.conf, CONFIG_DIR/<iface>.conf
// (the stage's INI section), the environment, then flags. CONFIG_DIR comes from --config-dir,
// $CONFIG_DIR or the built-in default. Their keys, variables and flags are rows of the
// settings table (config/settings_table.h).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/environment.h"
#include "config/agent_settings.h"
#include "config/defaults.h"

namespace pcap_ring {

struct CloudSharkSettings {
  std::string url;  // base, e.g. https://cloudshark.example.com (no trailing '/')
  std::string token_file;
  std::string ca_file;
  bool verify = true;
  std::uint64_t timeout_seconds = 600;
  bool ring = false;
  std::uint64_t ring_size = 10;
  std::vector<std::string> tags;  // extra tags for every upload
  std::string config_dir = kDefaultConfigDir;
};

struct S3Settings {
  std::string endpoint;  // "" = AWS: https://s3.REGION.amazonaws.com
  std::string region = "us-east-1";
  std::string bucket;
  std::string key_template = "{prefix}/{host}/{iface}/{filename}";
  std::string prefix;
  std::string access_key_id_file;
  std::string secret_access_key_file;
  std::optional<bool> path_style;  // unset: yes for a custom endpoint, no for AWS
  std::uint64_t multipart_threshold_mb = 64;
  std::uint64_t part_size_mb = 16;
  std::string ca_file;
  bool verify = true;
  std::uint64_t timeout_seconds = 600;
  std::string config_dir = kDefaultConfigDir;

  bool use_path_style() const { return path_style.value_or(!endpoint.empty()); }
};

// Debian's /etc/suricata/suricata.yaml (unix-command.filename).
inline constexpr const char* kDefaultSuricataSocket = "/var/run/suricata-command.socket";
inline constexpr double kDefaultSuricataTimeout = 30.0;

struct SuricataSettings {
  std::string socket_path = kDefaultSuricataSocket;
  std::string output_dir;      // socket mode: Suricata's log directory for the file (required)
  std::string continuous_dir;  // set: continuous mode instead of socket mode
  double timeout_seconds = kDefaultSuricataTimeout;  // whole socket exchange

  bool continuous() const { return !continuous_dir.empty(); }
};

// Nothing if `t` is a valid S3 key template, else what is allowed (unknown placeholder...).
std::optional<std::string> check_key_template(const std::string& t);

// The configuration directory for a stage run: the "config_dir" flag, else CONFIG_DIR, else
// the default (throws UsageError for an empty --config-dir).
std::string stage_config_dir(const std::map<std::string, std::string>& flags, const Environment& environment);

// A setting a stage cannot run without: the field, its row in the settings table (by name)
// and what it is called in the error ("CloudShark URL").
template <typename Settings>
struct RequiredSetting {
  std::string Settings::*field;
  const char* name;
  const char* description;
};

// A stage's settings from every layer, in the configuration directory stage_config_dir picks
// (kept in settings.config_dir when the struct has one). `flags` maps setting names to what the
// command line gave. Throws StartupError: 64 for a bad flag, 78 for a bad file or environment
// value, and 78 naming every place to set it when `required` is given and left empty.
template <typename Settings>
Settings load_stage_settings(const std::map<std::string, std::string>& flags, const std::string& interface_name,
                             const Environment& environment,
                             const std::optional<RequiredSetting<Settings>>& required = std::nullopt);

extern template CloudSharkSettings load_stage_settings(const std::map<std::string, std::string>&, const std::string&,
                                                       const Environment&,
                                                       const std::optional<RequiredSetting<CloudSharkSettings>>&);
extern template S3Settings load_stage_settings(const std::map<std::string, std::string>&, const std::string&,
                                               const Environment&, const std::optional<RequiredSetting<S3Settings>>&);
extern template SuricataSettings load_stage_settings(const std::map<std::string, std::string>&, const std::string&,
                                                     const Environment&,
                                                     const std::optional<RequiredSetting<SuricataSettings>>&);
// The agent's settings: the same layers, with CONFIG_DIR/agent.conf in place of IFACE.conf.
extern template AgentSettings load_stage_settings(const std::map<std::string, std::string>&, const std::string&,
                                                  const Environment&,
                                                  const std::optional<RequiredSetting<AgentSettings>>&);

// This host's name for tags and object keys ("localhost" if it cannot be read).
std::string local_host_name();

}  // namespace pcap_ring
