// Fuzzes the status file loader `packet-capture status` uses: any bytes either load or are
// refused with a reason, never an exception; what loads survives writing it as the daemon
// does and reading it again unchanged.
#include <cstdint>
#include <optional>
#include <string>

#include "fuzz_support.h"
#include "service/service_report.h"

using pcap_ring::LiveSnapshot;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& path = pcap_ring::fuzz::InputFile::instance().hold(data, size);
  std::string why;
  std::optional<LiveSnapshot> snapshot = pcap_ring::read_status_file(path, &why);
  if (!snapshot) {
    FUZZ_CHECK(!why.empty());
    return 0;
  }
  std::optional<LiveSnapshot> again = pcap_ring::parse_status_json(pcap_ring::status_json(*snapshot), &why);
  FUZZ_CHECK(again.has_value());
  // Every field is in the JSON the daemon writes, so equal text is an equal snapshot.
  FUZZ_CHECK(pcap_ring::status_json(*snapshot) == pcap_ring::status_json(*again));
  return 0;
}
