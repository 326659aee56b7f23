// Reads a pcap or pcapng file record by record to learn what it holds and where its last
// complete record ends. Used to repair a file left by a crash and to rebuild the ring index.
#pragma once

#include <cstdint>
#include <string>

#include "format/pcap_format.h"
#include "common/timestamp.h"

namespace pcap_ring {

struct FileScan {
  FileFormat format = FileFormat::kPcap;
  std::uint64_t file_bytes = 0;   // size on disk
  std::uint64_t valid_bytes = 0;  // end of the last complete record (or header if none)
  // End of the file header: the pcap global header, or the pcapng section header and first
  // interface description. 0 when the header itself is incomplete: no packet can be read.
  std::uint64_t header_bytes = 0;
  std::uint64_t packets = 0;
  NanoTime first = 0;  // 0 when there are no packets
  NanoTime last = 0;
  bool complete() const { return valid_bytes == file_bytes; }
};

// Scans `path`. Returns false and sets *error ("not a pcap or pcapng file (magic 0x...)",
// "shorter than a file header") when the file cannot be read as a capture at all.
// Only a regular file is read: a symlink or a FIFO is refused ("cannot open: is a symlink"),
// never followed or waited on.
[[nodiscard]] bool scan_capture_file(const std::string& path, FileScan* scan, std::string* error);
// Same for `name` relative to the directory descriptor `dir_fd`.
[[nodiscard]] bool scan_capture_at(int dir_fd, const std::string& name, FileScan* scan, std::string* error);
// Same over an open descriptor of a regular file (read from offset 0, by its size).
[[nodiscard]] bool scan_capture_fd(int fd, FileScan* scan, std::string* error);

// Same, over bytes in memory (the parser itself, tested without files).
[[nodiscard]] bool scan_capture_bytes(const std::uint8_t* data, std::uint64_t size, FileScan* scan,
                        std::string* error);

}  // namespace pcap_ring
