// The process environment as a map, and POSIX shell-word splitting for the values that hold
// command lines (ADDITIONAL_ARGS, the post-rotate command).
#pragma once

#include <map>
#include <string>
#include <vector>

namespace pcap_ring {

using Environment = std::map<std::string, std::string>;

// The process environment as a map.
Environment current_environment();

// Splits `text` like a POSIX shell would (quotes and backslashes; no expansion).
// Returns false on an unterminated quote.
bool split_shell_words(const std::string& text, std::vector<std::string>* words);

}  // namespace pcap_ring
