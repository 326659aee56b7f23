// `packet-capture list`: the finished files of one ring (or of every ring in a directory)
// with their time span, packets, bytes and kernel drops, from the ring index; optionally only
// those overlapping a time window, and (JSON) whether each has its flow index.
#pragma once

#include <optional>
#include <ostream>
#include <string>

#include "cli/subcommand.h"
#include "extract/time_window.h"

namespace pcap_ring {

struct ListOptions {
  std::string directory;
  std::string prefix;          // empty: every ring in the directory
  std::string interface_name;  // empty: every ring in the directory
  bool json = false;
  std::optional<TimeWindow> window;  // only files overlapping it
};

// Prints the listing to `out`; returns the exit status (errors go to the log as one line).
int list_rings(const ListOptions& options, std::ostream& out);

// Adds `list`; prints to standard output.
Subcommand add_list_command(CLI::App& app);

}  // namespace pcap_ring
