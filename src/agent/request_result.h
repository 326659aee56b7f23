// One request's result on one interface, in the "directory" destination: the packets of the
// window that match the request's filter, cut from the interface's ring by extract() into
// RESULTS/requests/YYYY/MM/DD/ID/NODE/IFACE/capture.pcapng (the pcapng interface named
// "NODE/IFACE", so mergecap of a fleet's results keeps every origin), then manifest.json,
// written last so that a collector that sees it knows this node and interface are done. The
// paths depend only on the request and the window chosen when it was accepted, so answering
// the same request again (after a crash) replaces the same files.
#pragma once

#include <atomic>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent/agent_request.h"
#include "extract/extract_report.h"
#include "extract/ring_catalog.h"
#include "extract/time_window.h"

namespace pcap_ring {

struct InterfaceJob {
  const AgentRequest* request = nullptr;
  std::string request_sha256;  // of the body as received
  std::string key_id;          // "" for an unsigned request
  std::string node;
  std::string interface_name;
  std::vector<CatalogRing> rings;
  TimeWindow window;
  NanoTime idle_timeout = 0;  // a live request ends after this long without a matching packet
  const std::atomic<bool>* stop = nullptr;
};

struct InterfaceResult {
  std::string state;   // "done", "partial" (the ring no longer held the whole window) or "failed"
  std::string reason;  // why it failed
  ExtractReport report;
  std::string directory;  // where the result is
  std::uint64_t file_size = 0;
  std::string file_sha256;
};

// The result directory of a request on one interface, below `results_dir`.
std::string result_directory(const std::string& results_dir, NanoTime window_from, const std::string& id,
                             const std::string& node, const std::string& interface_name);

InterfaceResult write_interface_result(const std::string& results_dir, const InterfaceJob& job);

// The answer a bus carries for a request on one interface.
nlohmann::json result_answer(const InterfaceJob& job, const InterfaceResult& result);

}  // namespace pcap_ring
