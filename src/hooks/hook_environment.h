// The PCAP_* environment of the hook contract, written (for every hook the pipeline runs)
// and read (by the built-in stages, `packet-capture hook NAME FILE`) here only.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ring/ring_index.h"

namespace pcap_ring {

// What the pipeline tells every hook about a finished file. When a stage is run by hand,
// only `path` is known; the rest is derived from the file name.
struct HookFileInfo {
  std::string path;            // absolute path of the finished file (first argument)
  std::string interface_name;  // PCAP_INTERFACE
  std::uint64_t sequence = 0;  // PCAP_SEQUENCE
  std::uint64_t packets = 0;   // PCAP_PACKETS
  std::uint64_t bytes = 0;     // PCAP_BYTES
  std::string first_time;      // PCAP_FIRST_TIME, RFC 3339
  std::string last_time;       // PCAP_LAST_TIME
  std::uint64_t dropped = 0;   // PCAP_DROPPED
  unsigned attempt = 1;        // PCAP_HOOK_ATTEMPT
};

// What the pipeline knows of a queued file, as the hook sees it.
HookFileInfo hook_file_info(const std::string& path, const std::string& interface_name, const FileRecord& file,
                            unsigned attempt);

// The PCAP_* variables for `info`, "KEY=VALUE".
std::vector<std::string> hook_environment(const HookFileInfo& info);

// True for the per-file PCAP_* variables ("KEY=VALUE" or "KEY"): the pipeline sets them for
// each file, so they are never inherited. Other PCAP_* variables are the operator's.
bool is_hook_environment_entry(std::string_view entry);

// Fills HookFileInfo from the environment, falling back to the file name
// ("<prefix>-<iface>-<seq>.pcap") for interface and sequence.
HookFileInfo hook_file_info_from_environment(const std::string& path,
                                             const std::map<std::string, std::string>& env);

}  // namespace pcap_ring
