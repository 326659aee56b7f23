// The flow index file of a ring file "<name>": ".<name>.flows" beside it in the ring directory,
// replaced atomically, read back only as a regular file (never through a symlink) and parsed
// with every check of FlowIndex::parse before it is used.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "flows/flow_index.h"

namespace pcap_ring {

// Writes `index` as the flow index of `ring_file` in `directory`. Returns 0 or errno.
[[nodiscard]] int write_flow_index(const std::string& directory, const std::string& ring_file,
                                   const std::vector<std::uint8_t>& index);

// Builds the flow index of `ring_file` (an open descriptor of it) and writes it. Returns the
// index's size, or 0 with *error set.
std::uint64_t index_ring_file(const std::string& directory, const std::string& ring_file, int fd, std::string* error);

enum class FlowIndexState { kValid, kMissing, kDamaged };

// Reads and checks the flow index of `ring_file` in the directory `dir_fd` into `index` (whose
// memory is reused: pass the same one for many files). kDamaged with *error naming the file
// and what is wrong.
FlowIndexState load_flow_index(int dir_fd, const std::string& ring_file, FlowIndex* index, std::string* error);

// Size of the flow index of `ring_file`, 0 when it has none.
std::uint64_t flow_index_size(int dir_fd, const std::string& ring_file);

}  // namespace pcap_ring
