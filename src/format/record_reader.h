// Reads the packet records of a pcap or pcapng file one after another, from the start or from
// the offset of any record, through a buffer refilled with pread: a file that grows (the live
// ".part") can be read again past where the last read stopped, and a file that is unlinked
// while it is read (the ring's retention) is still read to its end through the descriptor.
// On a long range the next chunk is read on a second thread while this one is parsed.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "common/timestamp.h"
#include "common/unique_fd.h"
#include "format/pcap_format.h"
#include "format/read_ahead.h"
#include "format/pcapng_resolution.h"

namespace pcap_ring {

struct PacketRecord {
  NanoTime ts = 0;
  std::uint32_t caplen = 0;
  std::uint32_t origlen = 0;
  const std::uint8_t* data = nullptr;  // valid until the next call to next() or seek()
  std::uint64_t offset = 0;            // file offset of the record (its header)
  // The whole record as the file holds it (header and data), when those bytes are exactly
  // what a nanosecond pcap in this host's byte order holds for it; null otherwise. Valid
  // until the reader reuses its buffer: it calls its before-reuse hook first.
  const std::uint8_t* verbatim = nullptr;
  std::uint32_t verbatim_size = 0;
};

class RecordReader {
 public:
  enum class Status { kRecord, kEnd, kMalformed };

  // Takes the descriptor of a regular file. open() reads the file header.
  explicit RecordReader(UniqueFd fd) : fd_(std::move(fd)) {}

  // False with *error when the bytes are not a capture file, or the header is not complete
  // yet (a ".part" just created: try again later).
  [[nodiscard]] bool open(std::string* error);

  // The next record, or kEnd where the bytes stop at a record boundary or in the middle of
  // a record (a file still being written, or cut short), or kMalformed where they stop
  // being records (error() says what). After kEnd, next() may be called again once the
  // file has grown.
  Status next(PacketRecord* record);
  // Continues at `offset`, which must be the offset of a record (from a flow index block);
  // reads ahead no further than `end` until the next seek (the records wanted end there).
  void seek(std::uint64_t offset, std::uint64_t end = std::numeric_limits<std::uint64_t>::max());

  // Called before the reader overwrites, moves or frees the bytes of records it returned, so
  // that a writer holding them by reference (PacketRecord::verbatim) writes them out first.
  // The owner calls it too before destroying the reader.
  void set_before_reuse(std::function<void()> hook) { before_reuse_ = std::move(hook); }

  FileFormat format() const { return format_; }
  int linktype() const { return linktype_; }
  std::uint32_t snaplen() const { return snaplen_; }
  std::uint64_t header_bytes() const { return header_bytes_; }
  // Offset just past the last record returned (or the header).
  std::uint64_t position() const { return position_; }
  const std::string& error() const { return error_; }

 private:
  struct Interface {
    int linktype = 1;
    PcapngResolution resolution;  // if_tsresol, default 10^-6
  };
  // Makes [position_, position_ + need) available in the buffer; false if the file ends first.
  bool ensure(std::uint64_t need);
  // Asks the read-ahead thread for the next chunks of a long range, each into a spare buffer.
  void start_read_ahead();
  // Makes the oldest chunk read ahead the buffer, when it follows the buffer; false otherwise
  // (after a seek), and every chunk read ahead is then dropped.
  bool take_read_ahead();
  void drop_read_ahead();
  Status next_pcap(PacketRecord* record);
  Status next_pcapng(PacketRecord* record);
  bool read_interface(const std::uint8_t* body, std::uint32_t length);
  Status malformed(std::string why);

  UniqueFd fd_;
  FileFormat format_ = FileFormat::kPcap;
  bool swapped_ = false;
  bool nano_ = true;
  int linktype_ = 1;
  std::uint32_t snaplen_ = 262144;
  std::uint64_t header_bytes_ = 0;
  std::vector<Interface> interfaces_;
  std::vector<std::uint8_t> buffer_;
  const std::uint8_t* base_ = nullptr;  // where buffer_offset_'s byte is in buffer_
  std::uint64_t buffer_offset_ = 0;  // file offset of base_[0]
  std::size_t buffer_length_ = 0;
  std::uint64_t position_ = 0;
  std::string error_;
  bool opening_ = false;
  std::uint64_t read_end_ = std::numeric_limits<std::uint64_t>::max();  // open() reads blocks up to the first interface description
  std::function<void()> before_reuse_;
  // Chunks asked of the read-ahead thread, oldest first: each is read into its buffer after
  // room for the partial record that the buffer before it ends with.
  struct AheadChunk {
    std::vector<std::uint8_t> buffer;
    std::uint64_t offset = 0;
  };
  std::deque<AheadChunk> ahead_;
  std::vector<std::vector<std::uint8_t>> spares_;  // buffers not in use, kept for the next chunks
  std::uint64_t size_at_open_ = 0;
  bool read_ahead_refused_ = false;
  std::unique_ptr<ReadAhead> read_ahead_;  // last: stopped before the buffers and fd_ go
};

}  // namespace pcap_ring
