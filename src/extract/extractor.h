// Extraction: the packets of one or more rings inside a time window that match a filter,
// merged by time into one pcap or pcapng stream, within limits, with a report. Used by
// `packet-capture extract` and by the agent's requests.
#pragma once

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "extract/extract_output.h"
#include "extract/extract_report.h"
#include "extract/ring_catalog.h"
#include "extract/time_window.h"

namespace pcap_ring {

struct ExtractRequest {
  std::vector<CatalogRing> rings;
  TimeWindow window;
  std::string filter;
  OutputLimits limits;
  std::optional<FileFormat> format;  // default: pcap for one ring, pcapng for several
  bool use_flow_index = true;
  // How long after window.to a live ring is still followed: packets reach the file within
  // the capture's flush interval.
  NanoTime follow_grace = 2 * kNanosPerSecond;
  // While following a live ring: this long without a new matching packet ends the extraction
  // (pcapdaemon's idle `timeout`); the window then ends there, covered. 0: no idle end.
  NanoTime idle_timeout = 0;
  std::string host_name;  // names the pcapng interfaces "host/iface"
  const std::atomic<bool>* stop = nullptr;  // set by a signal: end now with a valid file
};

// Writes the extraction to `out_fd`. Throws UsageError for a filter that does not compile
// or a format that cannot hold the rings (pcap with different link types); the report's
// `error` says why the output ended early (reader gone, disk full).
ExtractReport extract(const ExtractRequest& request, int out_fd);

}  // namespace pcap_ring
