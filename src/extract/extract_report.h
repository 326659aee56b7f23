// What an extraction did, for the person or program that asked: files read, packets scanned
// and matched, bytes written, the part of the window the rings still covered, the kernel
// drops recorded while the window was captured, and the limit that ended it, if any.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/timestamp.h"
#include "extract/time_window.h"

namespace pcap_ring {

struct RingCoverage {
  std::string ring;  // "<prefix>-<iface>"
  std::string directory;
  std::optional<NanoTime> from;  // nothing when the ring held nothing of the window
  std::optional<NanoTime> to;
  bool complete = false;
  std::uint64_t drops = 0;
};

struct ExtractReport {
  TimeWindow window;
  std::string filter;
  std::uint64_t files_read = 0;
  std::uint64_t files_skipped = 0;  // outside the window, or the flow index says no match
  std::uint64_t files_indexed = 0;  // read through their flow index
  std::uint64_t packets_scanned = 0;
  std::uint64_t packets_matched = 0;
  std::uint64_t packets_written = 0;
  std::uint64_t bytes_written = 0;
  std::uint64_t bytes_read = 0;
  std::string limit;  // "", "max-packets", "max-bytes" or "signal" (SIGINT/SIGTERM)
  std::vector<RingCoverage> rings;
  std::vector<std::string> warnings;
  std::string error;  // why the extraction stopped early (output closed, write error)

  // Over all rings: the part of the window every ring covered.
  std::optional<NanoTime> coverage_from() const;
  std::optional<NanoTime> coverage_to() const;
  bool complete() const;
  std::uint64_t drops() const;
};

nlohmann::ordered_json report_json(const ExtractReport& report);
// A few lines for a person (stderr).
std::string report_text(const ExtractReport& report);

}  // namespace pcap_ring
