// The ring's record of its finished files: name, sequence, first/last packet time, packets,
// bytes and kernel drops while each was written. Kept next to the files as
// ".<prefix>-<iface>.index" (JSON Lines, rewritten atomically), so `list`, extraction of a
// time window and later consumers can answer questions without opening every capture.
#pragma once

#include <cstdint>
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
};

std::string index_file_name(const RingId& ring);

class RingIndex {
 public:
  explicit RingIndex(std::string path) : path_(std::move(path)) {}

  // Reads the index; a missing file is an empty index. Lines that do not parse are
  // skipped and reported in *warnings (the files themselves are rescanned by the ring).
  bool load(std::vector<std::string>* warnings);
  // Writes to a temporary file, fsyncs and renames it over the index. Returns 0 or errno.
  int save() const;

  const std::vector<FileRecord>& records() const { return records_; }
  void add(FileRecord record);  // keeps records ordered by sequence
  void remove(std::uint64_t sequence);
  bool contains(std::uint64_t sequence) const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::vector<FileRecord> records_;
};

// JSON form shared by the index file and `list --json`.
std::string record_to_json_line(const FileRecord& record);
bool record_from_json_line(const std::string& line, FileRecord* record);

}  // namespace pcap_ring
