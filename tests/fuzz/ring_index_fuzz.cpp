// Fuzzes the ring index loader: any bytes load (bad lines become warnings, never exceptions)
// into records ordered by unique sequence, each a plain file name that survives a round trip
// through its JSON line.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_support.h"
#include <nlohmann/json.hpp>

#include "ring/ring_index.h"

namespace {

bool same_record(const pcap_ring::FileRecord& a, const pcap_ring::FileRecord& b) {
  return a.file == b.file && a.sequence == b.sequence && a.first == b.first && a.last == b.last &&
         a.packets == b.packets && a.bytes == b.bytes && a.drops == b.drops;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& path = pcap_ring::fuzz::InputFile::instance().hold(data, size);
  pcap_ring::RingIndex index(path);
  std::vector<std::string> warnings;
  FUZZ_CHECK(index.load(&warnings));
  const auto lines = 1 + std::count(data, data + size, std::uint8_t{'\n'});
  FUZZ_CHECK(static_cast<long>(index.records().size() + warnings.size()) <= lines);

  const pcap_ring::FileRecord* previous = nullptr;
  for (const auto& record : index.records()) {
    FUZZ_CHECK(!record.file.empty() && record.file.find('/') == std::string::npos);
    if (previous) FUZZ_CHECK(previous->sequence < record.sequence);
    previous = &record;
    // The line as the index writes it (invalid UTF-8 replaced), read back as the index reads it.
    std::string line = nlohmann::ordered_json(record).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    pcap_ring::FileRecord again = nlohmann::json::parse(line).get<pcap_ring::FileRecord>();
    FUZZ_CHECK(same_record(record, again));
  }
  return 0;
}
