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
std::optional<LiveSnapshot> parse_status_json(const std::string& text);
std::string metrics_text(const LiveSnapshot& s);

}  // namespace pcap_ring
