// The daemon's state in the three forms people and tools read: systemd's one-line STATUS=,
// the status file `packet-capture status` reads (JSON, in the ring directory), and a
// Prometheus textfile for node_exporter's textfile collector.
#pragma once

#include <optional>
#include <string>

#include "service/live_stats.h"

namespace pcap_ring {

std::string status_line(const LiveSnapshot& s);
std::string status_json(const LiveSnapshot& s);
// The snapshot in a status file's text, or nothing with *why (when given) saying what is wrong:
// not JSON, a field missing, or a counter that is not an integer from 0 to 2^64-1.
std::optional<LiveSnapshot> parse_status_json(const std::string& text, std::string* why = nullptr);
// Reads and parses the status file at `path` (a regular file, not through a symlink).
std::optional<LiveSnapshot> read_status_file(const std::string& path, std::string* why = nullptr);
std::string metrics_text(const LiveSnapshot& s);

}  // namespace pcap_ring
