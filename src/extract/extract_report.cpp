#include "extract/extract_report.h"

#include <algorithm>
#include <sstream>

namespace pcap_ring {
namespace {

nlohmann::ordered_json time_json(std::optional<NanoTime> t) {
  if (!t) return nullptr;
  return format_rfc3339_ns(*t);
}

nlohmann::ordered_json time_ns_json(std::optional<NanoTime> t) {
  if (!t) return nullptr;
  return *t;
}

}  // namespace

std::optional<NanoTime> ExtractReport::coverage_from() const {
  std::optional<NanoTime> from;
  for (const auto& r : rings) {
    if (!r.from) return std::nullopt;
    from = from ? std::max(*from, *r.from) : *r.from;
  }
  return from;
}

std::optional<NanoTime> ExtractReport::coverage_to() const {
  std::optional<NanoTime> to;
  for (const auto& r : rings) {
    if (!r.to) return std::nullopt;
    to = to ? std::min(*to, *r.to) : *r.to;
  }
  return to;
}

bool ExtractReport::complete() const {
  return !rings.empty() && std::all_of(rings.begin(), rings.end(), [](const RingCoverage& r) { return r.complete; });
}

std::uint64_t ExtractReport::drops() const {
  std::uint64_t total = 0;
  for (const auto& r : rings) total += r.drops;
  return total;
}

nlohmann::ordered_json report_json(const ExtractReport& report) {
  nlohmann::ordered_json j;
  j["window"] = {{"from", format_rfc3339_ns(report.window.from)},
                 {"to", format_rfc3339_ns(report.window.to)},
                 {"from_ns", report.window.from},
                 {"to_ns", report.window.to}};
  j["filter"] = report.filter;
  j["files_read"] = report.files_read;
  j["files_skipped"] = report.files_skipped;
  j["files_indexed"] = report.files_indexed;
  j["packets_scanned"] = report.packets_scanned;
  j["packets_matched"] = report.packets_matched;
  j["packets_written"] = report.packets_written;
  j["bytes_written"] = report.bytes_written;
  j["bytes_read"] = report.bytes_read;
  j["coverage"] = {{"from", time_json(report.coverage_from())},
                   {"to", time_json(report.coverage_to())},
                   {"from_ns", time_ns_json(report.coverage_from())},
                   {"to_ns", time_ns_json(report.coverage_to())},
                   {"complete", report.complete()}};
  j["drops"] = report.drops();
  j["limit"] = report.limit.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(report.limit);
  nlohmann::ordered_json rings = nlohmann::ordered_json::array();
  for (const auto& r : report.rings)
    rings.push_back({{"ring", r.ring},
                     {"directory", r.directory},
                     {"from", time_json(r.from)},
                     {"to", time_json(r.to)},
                     {"complete", r.complete},
                     {"drops", r.drops}});
  j["rings"] = rings;
  j["warnings"] = report.warnings;
  j["error"] = report.error.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(report.error);
  return j;
}

std::string report_text(const ExtractReport& report) {
  std::ostringstream out;
  out << "extract: " << report.packets_written << " packets (" << report.bytes_written << " bytes) written; "
      << report.packets_matched << " matched of " << report.packets_scanned << " scanned in " << report.files_read
      << " files (" << report.files_skipped << " skipped, " << report.files_indexed << " through the flow index)\n";
  auto from = report.coverage_from();
  auto to = report.coverage_to();
  out << "extract: window " << format_rfc3339_ns(report.window.from) << " to " << format_rfc3339_ns(report.window.to)
      << "; covered " << (from && to ? format_rfc3339_ns(*from) + " to " + format_rfc3339_ns(*to) : "nothing")
      << (report.complete() ? " (complete)" : " (incomplete)") << "; kernel drops recorded " << report.drops() << "\n";
  if (report.limit == "signal") out << "extract: stopped by a signal; what was extracted so far is kept\n";
  else if (!report.limit.empty()) out << "extract: stopped at --" << report.limit << "\n";
  return out.str();
}

}  // namespace pcap_ring
