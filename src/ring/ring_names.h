// The ring's naming contract, built and parsed here only.
//   Ring files:  "<prefix>-<iface>-<seq>.pcap" (or .pcapng), seq zero-padded to at least six
//                digits and never reused; "<name>.part" while the file is being written.
//   State files: ".<prefix>-<iface>.index", ".hooks", ".status", ".lock" beside the files,
//                and ".<name>.flows", the flow index of each finished file.
// Names read from a directory, a queue or a hook's argument are parsed, never trusted: a
// name with '/', a leading '.' or a sequence that is not all digits is not a ring file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "format/pcap_format.h"

namespace pcap_ring {

struct RingId {
  std::string prefix;
  std::string interface_name;
};

// "<prefix>-<iface>": how a ring is named in state files and messages.
std::string ring_label(const RingId& ring);

// --- Ring files ---

std::string ring_file_name(const RingId& ring, std::uint64_t seq, FileFormat format);
// The name a file has while it is written: "<name>.part".
std::string part_file_name(std::string_view final_name);

struct ParsedName {
  std::uint64_t seq = 0;
  FileFormat format = FileFormat::kPcap;
  bool partial = false;  // ends in .part
};

// Parses a directory entry name belonging to `ring`; nullopt for anything else
// (other rings, other prefixes, temp files).
std::optional<ParsedName> parse_ring_file_name(const RingId& ring, std::string_view name);

// A ring file name whose ring is not known beforehand (a hook run by hand, uploads found on
// a server): the name up to its first '.' is "<prefix>-<iface>-<digits>"; what follows is
// not checked (a server may keep a copy as "NAME.bak"). The interface is taken as the text
// between the first and the last '-'.
struct AnyRingFileName {
  std::string stem;  // "<prefix>-<iface>-": what every file of the ring starts with
  std::string interface_name;
  std::uint64_t seq = 0;
};
std::optional<AnyRingFileName> parse_any_ring_file_name(std::string_view name);

// The flow index of a finished ring file "<name>": ".<name>.flows" beside it (hidden, so
// that globs over the ring's files never pick it up).
std::string flow_index_file_name(std::string_view ring_file_name);
// The ring file a flow index name belongs to; nullopt when `name` is no flow index name.
std::optional<std::string> flow_index_owner(std::string_view name);

// --- State files ---

enum class StateFile { kIndex, kHooks, kStatus, kLock };

std::string state_file_name(const RingId& ring, StateFile kind);
std::string state_file_name(std::string_view ring_label, StateFile kind);
// The ring label of a state file name of `kind`: ".pcap-eth0.status" gives "pcap-eth0".
std::optional<std::string> state_file_ring_label(std::string_view name, StateFile kind);

// The state files of `kind` in `dir`, sorted; an empty prefix or interface matches any.
// Sets *error if `dir` cannot be read.
std::vector<std::string> ring_state_files(const std::string& dir, StateFile kind, const std::string& prefix,
                                          const std::string& interface_name, std::string* error = nullptr);

// A prefix or interface name usable inside file names: non-empty, no '/', no leading '.'.
bool is_valid_name_part(std::string_view part);

}  // namespace pcap_ring
