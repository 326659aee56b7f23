// Capture configuration: one immutable struct, filled from layers in this order (later wins):
// built-in defaults, CONFIG_DIR/packet-capture.conf (or --config FILE),
// CONFIG_DIR/<iface>.conf, the environment (the classic unit's FILESIZE, FILELIMIT,
// FILTER...), the flags in ADDITIONAL_ARGS, and the command line.
// Every value is checked where it is read, so an error names its source precisely:
// "FILESIZE=abc", "--file-limit 0", "CONFIG_DIR/eth0.conf:3: snaplen = x". Each setting is a row of config/settings_table.h.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/environment.h"
#include "config/defaults.h"
#include "config/setting_values.h"

#include "format/pcap_format.h"
#include "ring/retention.h"

namespace pcap_ring {

struct CaptureConfig {
  std::string interface_name;  // ring name; the capture interface unless read_file is set
  std::string read_file;       // replay packets from this capture file instead
  std::string output_dir;      // default /var/lib/packet-capture/<iface>
  std::string prefix = "pcap";
  std::uint64_t file_size_mb = 25;  // millions of bytes, as tcpdump -C
  std::uint64_t file_limit = 10;
  std::uint64_t rotate_seconds = 0;
  std::uint64_t max_bytes = 0;  // 0 = no total budget
  std::uint64_t min_free_mb = 0;  // free space (10^6 bytes) to leave on the file system
  std::string filter;
  std::uint32_t snaplen = 262144;
  std::uint64_t buffer_size_mb = 32;  // kernel capture ring
  bool promisc = true;
  FileFormat format = FileFormat::kPcap;
  TimestampPrecision tstamp = TimestampPrecision::kNano;
  std::string config_dir = kDefaultConfigDir;
  // Post-rotate hooks.
  std::string hooks_dir = std::string(kDefaultConfigDir) + "/hooks.d";
  std::string post_rotate;                 // tcpdump -z compatible command, run after hooks.d
  std::uint64_t hook_timeout_seconds = 300;
  std::uint64_t hook_jobs = 1;             // files in the pipeline at once
  std::uint64_t hook_backlog_bytes = 0;    // 0: max_bytes, or 2 x file_limit x file_size
  std::uint64_t hook_drain_seconds = 20;   // at stop, time given to pending hooks
  std::vector<std::string> hook_pass_environment;  // daemon variables hooks also receive
  std::string config_file;  // replaces <config_dir>/packet-capture.conf when set
  std::string metrics_file;  // Prometheus textfile, rewritten every few seconds
  bool flow_index = true;    // a flow index beside each finished file
  bool direct_io = false;    // O_DIRECT block writes instead of write-behind through the page cache

  std::uint64_t file_size_bytes() const { return file_size_mb * 1000000ULL; }
  RetentionLimits retention() const;
};

// Settings as text, keyed by setting name, as one layer delivered them (command line, ADDITIONAL_ARGS).
struct RawSettings {
  std::map<std::string, std::string> values;
};

// Turns the words of ADDITIONAL_ARGS into settings, exactly as the `run` flags would; throws
// std::exception with a one-line message. Provided by the command-line layer.
using FlagWordsParser = std::function<RawSettings(const std::vector<std::string>& words)>;

// Builds the configuration from all layers. `command_line` holds what the command line set;
// `environment` is consulted for the classic variable names (pass the process environment).
// Throws StartupError (64 for command-line problems, 78 for everything else).
CaptureConfig load_capture_config(const RawSettings& command_line, const Environment& environment,
                                  const FlagWordsParser& parse_flag_words);

}  // namespace pcap_ring
