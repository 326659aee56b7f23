// Walks the records of a pcap or pcapng file that arrives as a stream of byte pieces of any
// size (a file read in chunks, or a file being written), in either byte order, with micro- or
// nanosecond pcap timestamps and any pcapng if_tsresol. Records may span pieces: the stream
// keeps only the unfinished tail. Like the capture scanner, it stops at the first record that
// cannot be genuine (a power-loss tail, garbage lengths) and ignores what follows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "common/timestamp.h"
#include "format/pcap_format.h"
#include "format/pcapng_resolution.h"

namespace pcap_ring {

// One packet record, valid only during the call that delivers it.
struct CaptureRecord {
  std::uint64_t offset = 0;  // file offset of the record (pcap header or pcapng block)
  std::uint64_t end = 0;     // file offset just past it
  NanoTime time = 0;
  bool has_time = true;  // false for a pcapng simple packet block
  int linktype = -1;     // -1: the record names an interface the file never described
  const std::uint8_t* data = nullptr;
  std::uint32_t caplen = 0;
};

class CaptureRecordSink {
 public:
  virtual ~CaptureRecordSink() = default;
  virtual void on_record(const CaptureRecord& record) = 0;
  // A pcapng block that is not a packet (section, interface, statistics...): a reader that
  // seeks to a record offset must not have to cross one, so blocks of records end here.
  virtual void on_other_block() = 0;
};

class CaptureRecordStream {
 public:
  // Feeds the next piece of the file; complete records go to `sink` in file order. A template
  // so that a final sink's on_record is called directly in the loop over pcap records: it
  // runs for every packet the ring writes.
  template <class Sink>
  void feed(const std::uint8_t* data, std::size_t size, Sink& sink) {
    if (stopped_ || failed_ || size == 0) return;
    std::size_t skip = 0;  // bytes of `data` already read through the pending tail
    if (!pending_.empty() && !finish_pending(data, size, sink, &skip)) return;
    // Records are parsed straight from the caller's bytes; only an unfinished tail is kept.
    const std::uint8_t* base = data + skip;
    const std::size_t length = size - skip;
    std::size_t pos = 0;
    Step result = Step::kConsumed;
    while (result == Step::kConsumed) {
      std::size_t used = 0;
      result = format_ == Format::kPcap ? read_pcap_record(base + pos, length - pos, consumed_ + pos, sink, &used)
                                        : step(base + pos, length - pos, consumed_ + pos, sink, &used);
      if (result == Step::kConsumed) pos += used;
    }
    consumed_ += pos;
    if (result == Step::kStop) return stop();
    pending_.assign(base + pos, base + length);
  }

  bool failed() const { return failed_; }
  const std::string& error() const { return error_; }
  // True once the file header (pcap header, or pcapng section header) has been read.
  bool header_complete() const { return header_complete_; }
  // Link type of the pcap file or of the first pcapng interface; -1 before it is known.
  int first_linktype() const { return first_linktype_; }

 private:
  enum class Format { kUnknown, kPcap, kPcapng };
  struct Interface {
    int linktype = -1;
    std::uint32_t snaplen = 0;
    PcapngResolution resolution;
  };
  enum class Step { kNeedMore, kConsumed, kStop };

  // Reads the records that begin in the pending tail, completing it from `data`. False when
  // nothing more is to be read from `data` now; else *skip is how many of its bytes were read.
  bool finish_pending(const std::uint8_t* data, std::size_t size, CaptureRecordSink& sink, std::size_t* skip);
  void stop();

  // Each step reads one unit (file header, record or block) at file offset `offset`, from
  // `available` bytes at `p`, and sets *used to its size when it returns kConsumed.
  Step step(const std::uint8_t* p, std::size_t available, std::uint64_t offset, CaptureRecordSink& sink,
            std::size_t* used);
  Step read_file_magic(const std::uint8_t* p, std::size_t available, std::size_t* used);
  template <class Sink>
  Step read_pcap_record(const std::uint8_t* p, std::size_t available, std::uint64_t offset, Sink& sink,
                        std::size_t* used) {
    if (available < kPcapRecordHeaderSize) return Step::kNeedMore;
    std::uint32_t secs = load32(p);
    std::uint32_t frac = load32(p + 4);
    std::uint32_t caplen = load32(p + 8);
    std::uint32_t origlen = load32(p + 12);
    // The capture scanner's tests, so both agree on where the valid part of a file ends.
    if (caplen > snaplen_ || origlen < caplen || (nano_ ? frac >= 1000000000u : frac >= 1000000u)) return Step::kStop;
    if (caplen == 0 && secs == 0 && frac == 0) return Step::kStop;
    if (available < kPcapRecordHeaderSize + caplen) return Step::kNeedMore;
    CaptureRecord record;
    record.offset = offset;
    record.end = offset + kPcapRecordHeaderSize + caplen;
    record.time = static_cast<NanoTime>(secs) * kNanosPerSecond +
                  (nano_ ? static_cast<NanoTime>(frac) : static_cast<NanoTime>(frac) * 1000);
    record.linktype = first_linktype_;
    record.data = p + kPcapRecordHeaderSize;
    record.caplen = caplen;
    sink.on_record(record);
    *used = kPcapRecordHeaderSize + caplen;
    return Step::kConsumed;
  }

  Step read_pcapng_block(const std::uint8_t* p, std::size_t available, std::uint64_t offset,
                         CaptureRecordSink& sink, std::size_t* used);
  void read_interface(const std::uint8_t* body, std::uint32_t body_len);
  bool emit_pcapng_packet(std::uint32_t type, const std::uint8_t* body, std::uint32_t body_len,
                          std::uint64_t offset, std::uint64_t total, CaptureRecordSink& sink);
  std::uint32_t load32(const std::uint8_t* p) const {
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    return swapped_ ? __builtin_bswap32(v) : v;
  }
  std::uint16_t load16(const std::uint8_t* p) const {
    std::uint16_t v;
    std::memcpy(&v, p, 2);
    return swapped_ ? __builtin_bswap16(v) : v;
  }

  std::vector<std::uint8_t> pending_;  // unconsumed tail of what was fed
  std::uint64_t consumed_ = 0;         // file offset of pending_[0]
  Format format_ = Format::kUnknown;
  bool swapped_ = false;
  bool nano_ = false;
  bool stopped_ = false;
  bool header_complete_ = false;
  bool failed_ = false;
  std::string error_;
  std::uint32_t snaplen_ = 0;
  int first_linktype_ = -1;
  std::vector<Interface> interfaces_;
};

}  // namespace pcap_ring
