// The file an extraction writes: pcap (nanosecond magic, one link type) or pcapng (one
// interface description per ring, named "host/iface", nanosecond resolution), buffered and
// written to a descriptor: a file or a pipe such as `-w - | tshark -r -`. A record whose
// bytes in the ring file are already what a pcap output holds (a nanosecond pcap ring,
// nothing cut) is not copied: the output keeps a reference to the reader's bytes and gathers
// them with writev, before the reader reuses them (release_borrowed()).
// Limits are checked before each packet, so the output is always a valid file that holds no
// more than --max-packets packets and --max-bytes bytes.
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "format/pcap_format.h"
#include "format/record_reader.h"

namespace pcap_ring {

struct OutputInterface {
  int linktype = 1;
  std::uint32_t snaplen = 262144;
  std::string name;  // pcapng if_name: "host/iface"
  std::string filter;  // pcapng if_filter: the extraction's filter
};

struct OutputLimits {
  std::optional<std::uint64_t> max_packets;
  std::optional<std::uint64_t> max_bytes;  // of the whole output file, headers included
  std::optional<std::uint32_t> snaplen;    // captured bytes kept per packet
};

class ExtractOutput {
 public:
  enum class Result { kWritten, kLimitPackets, kLimitBytes, kWriteError };

  ExtractOutput(int fd, FileFormat format, std::vector<OutputInterface> interfaces, OutputLimits limits);
  // Writes the file header. False with error() when it cannot be written (or the limits
  // leave no room even for it).
  [[nodiscard]] bool begin();
  Result write(std::size_t interface, const PacketRecord& record);
  // Writes out what is buffered. False with error() on a write error.
  [[nodiscard]] bool finish();
  // Writes out now, because a reader is about to reuse the bytes of records written by
  // reference. An error is kept for the next write() and finish().
  void release_borrowed();

  std::uint64_t packets() const { return packets_; }
  std::uint64_t bytes() const { return bytes_; }  // of the output file
  const std::string& error() const { return error_; }

 private:
  bool flush();
  StreamParams params_for(std::size_t interface) const;
  void end_buffer_piece();
  // Forgets what is pending (written, or never to be written after an error).
  void drop_pending();

  int fd_;
  FileFormat format_;
  std::vector<OutputInterface> interfaces_;
  OutputLimits limits_;
  std::vector<StreamParams> params_;  // per interface, made once: write() runs per packet
  std::vector<std::uint8_t> buffer_;
  std::size_t used_ = 0;
  // What the next flush writes, in order: pieces of buffer_ and runs of records borrowed
  // from the readers.
  std::vector<struct iovec> pieces_;
  std::size_t piece_start_ = 0;  // buffer_ bytes from here on are not in pieces_ yet
  std::size_t borrowed_ = 0;     // records in pieces_ that point into a reader
  std::uint64_t packets_ = 0;
  std::uint64_t bytes_ = 0;
  std::string error_;
};

}  // namespace pcap_ring
