// What a ring directory holds for an extraction: its rings (one per prefix and interface),
// and for each ring its capture files in sequence order, finished or still being written,
// with what the ring index records about the finished ones. The directory listing decides
// which files exist; the index only adds their times and counts.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ring/ring_index.h"
#include "ring/ring_names.h"

namespace pcap_ring {

struct CatalogFile {
  std::string name;  // as listed: "<name>" or "<name>.part"
  std::uint64_t seq = 0;
  bool partial = false;
  std::optional<FileRecord> record;  // from the index: times, packets, drops
};

struct CatalogRing {
  std::string directory;
  RingId id;
  std::vector<CatalogFile> files;  // by sequence
  std::vector<std::string> warnings;  // an index line that did not parse, an unreadable index
};

// The rings in `directory` whose prefix and interface match (empty = any). Sets *error and
// returns nothing when the directory cannot be read.
std::vector<CatalogRing> catalog_rings(const std::string& directory, const std::string& prefix,
                                       const std::string& interface_name, std::string* error);

// The files of one ring as they are now (to follow a ring as it is written).
void refresh_ring(CatalogRing* ring);

}  // namespace pcap_ring
