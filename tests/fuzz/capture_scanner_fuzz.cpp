// Fuzzes the capture-file scanner (pcap and pcapng) that repairs crash-damaged files and
// rebuilds the ring index: whatever the bytes, it must stay inside them, agree with itself
// when reading the same bytes from a file, and accept its own valid part as complete.
#include <cstdint>
#include <string>

#include "format/capture_scanner.h"
#include "fuzz_support.h"

namespace {

using pcap_ring::FileScan;

bool same_scan(const FileScan& a, const FileScan& b) {
  return a.format == b.format && a.file_bytes == b.file_bytes && a.valid_bytes == b.valid_bytes &&
         a.header_bytes == b.header_bytes && a.packets == b.packets && a.first == b.first &&
         a.last == b.last;
}

void check_scan(const FileScan& scan, std::uint64_t size) {
  FUZZ_CHECK(scan.file_bytes == size);
  FUZZ_CHECK(scan.valid_bytes <= scan.file_bytes);
  FUZZ_CHECK(scan.header_bytes <= scan.valid_bytes || scan.header_bytes == 0);
  // Every record takes at least 12 bytes (a pcapng block; a pcap record takes 16).
  FUZZ_CHECK(scan.packets <= scan.valid_bytes / 12);
  FUZZ_CHECK(scan.first <= scan.last);
  if (scan.packets == 0) FUZZ_CHECK(scan.first == 0 && scan.last == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FileScan scan;
  std::string error;
  bool ok = pcap_ring::scan_capture_bytes(data, size, &scan, &error);
  FUZZ_CHECK(ok || !error.empty());
  if (!ok) return 0;
  check_scan(scan, size);

  // The file path (open, mmap) must see exactly what the in-memory parser sees.
  FileScan from_file;
  std::string file_error;
  const std::string& path = pcap_ring::fuzz::InputFile::instance().hold(data, size);
  FUZZ_CHECK(pcap_ring::scan_capture_file(path, &from_file, &file_error));
  FUZZ_CHECK(same_scan(scan, from_file));

  // Recovery truncates a file to its valid part; scanning that again must find the same
  // records and call the file complete. (A pcapng whose first block is already unreadable
  // has no valid part worth rescanning.)
  if (scan.format == pcap_ring::FileFormat::kPcapng && scan.valid_bytes < 28) return 0;
  FileScan truncated;
  FUZZ_CHECK(pcap_ring::scan_capture_bytes(data, scan.valid_bytes, &truncated, &error));
  FUZZ_CHECK(truncated.complete());
  FUZZ_CHECK(truncated.packets == scan.packets);
  FUZZ_CHECK(truncated.first == scan.first && truncated.last == scan.last);
  FUZZ_CHECK(truncated.header_bytes == scan.header_bytes);
  return 0;
}
