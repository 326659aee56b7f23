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

// Fills `settings` from every layer, using the rows of the settings table for its type.
// `flags` maps setting names to what the command line gave. Throws StartupError: 64 for a bad
// flag, 78 for a bad file or environment value.
template <typename Settings>
void load_stage_settings(Settings& settings, const std::string& config_dir, const std::string& interface_name,
                         const std::map<std::string, std::string>& flags, const Environment& environment);

extern template void load_stage_settings(CloudSharkSettings&, const std::string&, const std::string&,
                                         const std::map<std::string, std::string>&, const Environment&);
extern template void load_stage_settings(S3Settings&, const std::string&, const std::string&,
                                         const std::map<std::string, std::string>&, const Environment&);
extern template void load_stage_settings(SuricataSettings&, const std::string&, const std::string&,
                                         const std::map<std::string, std::string>&, const Environment&);

// This host's name for tags and object keys ("localhost" if it cannot be read).
std::string local_host_name();

}  // namespace pcap_ring
