// The ring's record of its finished files: name, sequence, first/last packet time, packets,
// bytes and kernel drops while each was written. Kept next to the files as
// ".<prefix>-<iface>.index" (JSON Lines, rewritten atomically), so `list`, extraction of a
// time window and later consumers can answer questions without opening every capture.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ring/ring_names.h"
#include "common/timestamp.h"

namespace pcap_ring {

struct FileRecord {
  std::string file;  // base name inside the ring directory
  std::uint64_t sequence = 0;
  NanoTime first = 0;
  NanoTime last = 0;
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
  std::uint64_t drops = 0;
  std::uint64_t flow_index_bytes = 0;  // its ".<file>.flows", 0 when it has none
  // What the file takes in the ring's byte budget: the capture and its flow index.
  std::uint64_t disk_bytes() const { return bytes + flow_index_bytes; }
};

class RingIndex {
 public:
  explicit RingIndex(std::string path) : path_(std::move(path)) {}

  // Reads the index; a missing file is an empty index. Lines that do not parse are
  // skipped and reported in *warnings (the files themselves are rescanned by the ring).
  // False when the index exists but cannot be read.
  [[nodiscard]] bool load(std::vector<std::string>* warnings);
  // Writes to a temporary file, fsyncs and renames it over the index. Returns 0 or errno.
  [[nodiscard]] int save() const;
  // What save() writes: one JSON line per file.
  std::string text() const;

  const std::vector<FileRecord>& records() const { return records_; }
  void add(FileRecord record);  // keeps records ordered by sequence
  void remove(std::uint64_t sequence);
  bool contains(std::uint64_t sequence) const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::vector<FileRecord> records_;
};

// JSON form shared by the index file, the hook queue and `list --json`: the times twice,
// as RFC 3339 text for people ("" for a file without packets) and as nanoseconds for tools.
void to_json(nlohmann::ordered_json& j, const FileRecord& record);
// Reads the nanosecond times; throws nlohmann::json::exception on a missing field or a file
// name that is not a plain name inside the ring directory.
void from_json(const nlohmann::json& j, FileRecord& record);

}  // namespace pcap_ring
