// Names of ring files: "<prefix>-<iface>-<seq>.pcap" (or .pcapng), seq zero-padded to at
// least six digits and never reused, and "<name>.part" for the file being written.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "format/pcap_format.h"

namespace pcap_ring {

inline constexpr std::string_view kPartSuffix = ".part";

struct RingId {
  std::string prefix;
  std::string interface_name;
};

std::string ring_file_name(const RingId& ring, std::uint64_t seq, FileFormat format);

struct ParsedName {
  std::uint64_t seq = 0;
  FileFormat format = FileFormat::kPcap;
  bool partial = false;  // ends in .part
};

// Parses a directory entry name belonging to `ring`; nullopt for anything else
// (other rings, other prefixes, temp files).
std::optional<ParsedName> parse_ring_file_name(const RingId& ring, std::string_view name);

// The ring state files in `dir` named ".<prefix>-<iface><suffix>" (".index", ".hooks",
// ".status"), sorted; an empty prefix or interface matches any. Sets *error if `dir` cannot
// be read.
std::vector<std::string> ring_state_files(const std::string& dir, const std::string& suffix,
                                          const std::string& prefix, const std::string& interface_name,
                                          std::string* error = nullptr);

// A prefix or interface name usable inside file names: non-empty, no '/', no leading '.'.
bool is_valid_name_part(std::string_view part);

}  // namespace pcap_ring
