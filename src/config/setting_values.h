// Parsing of setting values shared by the capture configuration and the built-in stages:
// each returns nothing on success, or what is allowed, for a one-line error that also names
// the source ("FILESIZE=abc: expected ...").
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace pcap_ring {

using Problem = std::optional<std::string>;

// Which layer delivered a value: errors name it, and exit 64 for the command line, 78 otherwise.
enum class Source { kIniFile, kEnvironment, kAdditionalArgs, kCommandLine };

Problem parse_uint(const std::string& text, std::uint64_t min, std::uint64_t max, const char* what,
                   std::uint64_t* out);
Problem parse_bool(const std::string& text, bool* out);  // yes/no, true/false, on/off, 1/0
Problem set_nonempty(std::string* field, const std::string& value, const char* what);

}  // namespace pcap_ring
