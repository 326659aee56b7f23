// Shared by the built-in post-rotate stages (`packet-capture hook NAME FILE`): how a stage
// learns about the finished file and how it registers its subcommand.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace pcap_ring {

// What the pipeline tells every hook about a finished file (environment PCAP_*). When a
// stage is run by hand, only `path` is known; the rest is derived from the file name.
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

// Fills HookFileInfo from the environment, falling back to the file name
// ("<prefix>-<iface>-<seq>.pcap") for interface and sequence.
HookFileInfo hook_file_info_from_environment(const std::string& path,
                                             const std::map<std::string, std::string>& env);

}  // namespace pcap_ring
