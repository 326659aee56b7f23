#include "format/capture_scanner.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cstdio>
#include <cstring>
#include <vector>

#include "common/safe_open.h"
#include "common/unique_fd.h"
#include "format/pcapng_resolution.h"

namespace pcap_ring {
namespace {

// Largest record body we accept as genuine; anything larger means the length field is
// garbage (libpcap's own limit for savefiles is 256 KiB as well).
constexpr std::uint32_t kMaxRecordBytes = 262144;

std::uint32_t load32(const std::uint8_t* p, bool swapped) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return swapped ? __builtin_bswap32(v) : v;
}
std::uint16_t load16(const std::uint8_t* p) {
  std::uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}

void note_packet(FileScan* scan, NanoTime ts) {
  if (scan->packets == 0 || ts < scan->first) scan->first = ts;
  if (scan->packets == 0 || ts > scan->last) scan->last = ts;
  ++scan->packets;
}

bool scan_pcap(const std::uint8_t* data, std::uint64_t size, FileScan* scan, std::string* error) {
  if (size < kPcapFileHeaderSize) {
    *error = "shorter than a pcap file header (" + std::to_string(size) + " bytes)";
    return false;
  }
  std::uint32_t magic;
  std::memcpy(&magic, data, 4);
  bool swapped = magic == __builtin_bswap32(kPcapMagicMicro) || magic == __builtin_bswap32(kPcapMagicNano);
  std::uint32_t native = swapped ? __builtin_bswap32(magic) : magic;
  bool nano = native == kPcapMagicNano;
  std::uint32_t snaplen = load32(data + 16, swapped);
  if (snaplen == 0 || snaplen > kMaxRecordBytes) snaplen = kMaxRecordBytes;
  scan->format = FileFormat::kPcap;
  std::uint64_t off = kPcapFileHeaderSize;
  scan->valid_bytes = off;
  scan->header_bytes = off;
  while (off + kPcapRecordHeaderSize <= size) {
    std::uint32_t secs = load32(data + off, swapped);
    std::uint32_t frac = load32(data + off + 4, swapped);
    std::uint32_t caplen = load32(data + off + 8, swapped);
    std::uint32_t origlen = load32(data + off + 12, swapped);
    if (caplen > snaplen || origlen < caplen || (nano ? frac >= 1000000000u : frac >= 1000000u)) break;
    // Zeros where records should be: the tail a power loss leaves (the size was updated, the
    // data never reached the disk). No genuine record is empty and stamped 1970-01-01.
    if (caplen == 0 && secs == 0 && frac == 0) break;
    if (off + kPcapRecordHeaderSize + caplen > size) break;
    NanoTime ts = static_cast<NanoTime>(secs) * kNanosPerSecond +
                  (nano ? static_cast<NanoTime>(frac) : static_cast<NanoTime>(frac) * 1000);
    note_packet(scan, ts);
    off += kPcapRecordHeaderSize + caplen;
    scan->valid_bytes = off;
  }
  return true;
}

bool scan_pcapng(const std::uint8_t* data, std::uint64_t size, FileScan* scan, std::string* error) {
  if (size < 28) {
    *error = "shorter than a pcapng section header (" + std::to_string(size) + " bytes)";
    return false;
  }
  if (load32(data + 8, false) != kPcapngByteOrderMagic) {
    *error = "pcapng file in the other byte order; only host byte order is supported";
    return false;
  }
  scan->format = FileFormat::kPcapng;
  std::vector<PcapngResolution> interfaces;
  std::uint64_t off = 0;
  scan->valid_bytes = 0;
  while (off + 12 <= size) {
    std::uint32_t type = load32(data + off, false);
    std::uint32_t total = load32(data + off + 4, false);
    if (total < 12 || total % 4 != 0 || off + total > size) break;
    if (load32(data + off + total - 4, false) != total) break;
    const std::uint8_t* body = data + off + 8;
    std::uint32_t body_len = total - 12;
    if (type == kPcapngSectionHeader) {
      interfaces.clear();
    } else if (type == kPcapngInterfaceDescription && body_len >= 8) {
      PcapngResolution r;
      std::uint32_t opt = 8;
      while (opt + 4 <= body_len) {
        std::uint16_t code = load16(body + opt);
        std::uint16_t len = load16(body + opt + 2);
        if (code == 0 || opt + 4 + len > body_len) break;
        if (code == 9 && len >= 1) r = pcapng_resolution(body[opt + 4]);
        opt += 4 + ((len + 3u) & ~3u);
      }
      interfaces.push_back(r);
      if (scan->header_bytes == 0) scan->header_bytes = off + total;
    } else if ((type == kPcapngEnhancedPacket || type == 2) && body_len >= 20) {
      // A captured length beyond the block or above the original length is not a record.
      if (type == kPcapngEnhancedPacket &&
          (load32(body + 12, false) > body_len - 20 || load32(body + 16, false) < load32(body + 12, false)))
        break;
      std::uint32_t iface = type == 2 ? load16(body) : load32(body, false);
      std::uint64_t ticks = (static_cast<std::uint64_t>(load32(body + 4, false)) << 32) |
                            load32(body + 8, false);
      PcapngResolution r = iface < interfaces.size() ? interfaces[iface] : PcapngResolution{};
      NanoTime ts = pcapng_ticks_to_ns(ticks, r);
      note_packet(scan, ts);
    } else if (type == 3) {  // simple packet block: no timestamp
      ++scan->packets;
    }
    off += total;
    scan->valid_bytes = off;
  }
  return true;
}

}  // namespace

bool scan_capture_bytes(const std::uint8_t* data, std::uint64_t size, FileScan* scan,
                        std::string* error) {
  *scan = FileScan{};
  scan->file_bytes = size;
  if (size < 4) {
    *error = "shorter than a capture file header (" + std::to_string(size) + " bytes)";
    return false;
  }
  std::uint32_t magic;
  std::memcpy(&magic, data, 4);
  if (magic == kPcapMagicMicro || magic == kPcapMagicNano ||
      magic == __builtin_bswap32(kPcapMagicMicro) || magic == __builtin_bswap32(kPcapMagicNano))
    return scan_pcap(data, size, scan, error);
  if (magic == kPcapngSectionHeader) return scan_pcapng(data, size, scan, error);
  char hex[16];
  std::snprintf(hex, sizeof hex, "0x%08x", magic);
  *error = std::string("not a pcap or pcapng file (magic ") + hex + ")";
  return false;
}

bool scan_capture_file(const std::string& path, FileScan* scan, std::string* error) {
  return scan_capture_at(AT_FDCWD, path, scan, error);
}

bool scan_capture_at(int dir_fd, const std::string& name, FileScan* scan, std::string* error) {
  std::string why;
  UniqueFd fd = open_regular_at(dir_fd, name, O_RDONLY, &why);
  if (!fd.valid()) {
    *error = "cannot open: " + why;
    return false;
  }
  return scan_capture_fd(fd.get(), scan, error);
}

bool scan_capture_fd(int fd, FileScan* scan, std::string* error) {
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    *error = "cannot stat: " + errno_text(errno);
    return false;
  }
  auto size = static_cast<std::uint64_t>(st.st_size);
  if (size == 0) return scan_capture_bytes(nullptr, 0, scan, error);
  void* map = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (map == MAP_FAILED) {
    *error = "cannot map: " + errno_text(errno);
    return false;
  }
  bool ok = scan_capture_bytes(static_cast<const std::uint8_t*>(map), size, scan, error);
  munmap(map, size);
  return ok;
}

}  // namespace pcap_ring
