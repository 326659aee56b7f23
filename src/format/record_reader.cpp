#include "format/record_reader.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

namespace pcap_ring {
namespace {

constexpr std::size_t kReadSize = 1 << 20;  // one pread per MiB: large enough to stream at memory speed
// Chunks read ahead at most: enough that the reading thread always has the next one to read.
constexpr std::size_t kReadAheadChunks = 3;
constexpr std::uint32_t kMaxRecordBytes = 262144;  // libpcap's limit for a savefile record
constexpr std::uint32_t kMaxBlockBytes = kMaxRecordBytes + 1024;
// Room before the bytes read ahead for the unread end of the buffer before them: less than
// one record or block.
constexpr std::size_t kHeadroom = (kMaxBlockBytes + 4095) & ~std::size_t{4095};
constexpr std::uint32_t kSimplePacketBlock = 3;
constexpr std::uint32_t kObsoletePacketBlock = 2;

std::uint32_t load32(const std::uint8_t* p, bool swapped) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return swapped ? __builtin_bswap32(v) : v;
}
std::uint16_t load16(const std::uint8_t* p, bool swapped) {
  std::uint16_t v;
  std::memcpy(&v, p, 2);
  return swapped ? __builtin_bswap16(v) : v;
}

}  // namespace

bool RecordReader::ensure(std::uint64_t need) {
  std::uint64_t end = position_ + need;
  if (position_ >= buffer_offset_ && end <= buffer_offset_ + buffer_length_) return true;
  if (before_reuse_) before_reuse_();
  if (take_read_ahead() && end <= buffer_offset_ + buffer_length_) {
    start_read_ahead();
    return true;
  }
  // Keep what is left from position_ on, then read behind it.
  if (position_ >= buffer_offset_ && position_ <= buffer_offset_ + buffer_length_) {
    std::size_t keep = static_cast<std::size_t>(buffer_offset_ + buffer_length_ - position_);
    if (keep > 0) std::memmove(buffer_.data(), base_ + (position_ - buffer_offset_), keep);
    buffer_length_ = keep;
  } else {
    buffer_length_ = 0;
  }
  buffer_offset_ = position_;
  std::size_t want = std::max<std::size_t>(kReadSize, static_cast<std::size_t>(need));
  if (buffer_.size() < want) buffer_.resize(want);
  base_ = buffer_.data();
  // Read ahead a whole buffer, but not past the end of the range being read (a flow index
  // block is a few kilobytes: reading a megabyte for each would read the file many times).
  std::uint64_t ahead = read_end_ > buffer_offset_ ? read_end_ - buffer_offset_ : 0;
  std::size_t target = static_cast<std::size_t>(std::max<std::uint64_t>(need, std::min<std::uint64_t>(buffer_.size(), ahead)));
  while (buffer_length_ < need) {
    ssize_t n = ::pread(fd_.get(), buffer_.data() + buffer_length_, target - buffer_length_,
                        static_cast<off_t>(buffer_offset_ + buffer_length_));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;  // end of file (or an I/O error: the file ends here for us)
    buffer_length_ += static_cast<std::size_t>(n);
  }
  start_read_ahead();
  return true;
}

void RecordReader::start_read_ahead() {
  // Only for long reads: not the file header (open() has not seen the plan yet), not a flow
  // index block (read once, synchronously).
  if (header_bytes_ == 0) return;
  std::uint64_t next = ahead_.empty() ? buffer_offset_ + buffer_length_ : ahead_.back().offset + kReadSize;
  // The file's size when it was opened bounds the range: a finished file has no more, and a
  // growing one is read on synchronously past it.
  const std::uint64_t range_end = std::min(read_end_, size_at_open_);
  while (ahead_.size() < kReadAheadChunks && range_end > next && range_end - next >= kReadSize) {
    if (!read_ahead_) {
      if (read_ahead_refused_) return;
      try {
        read_ahead_ = std::make_unique<ReadAhead>(fd_.get());
      } catch (const std::system_error&) {
        read_ahead_refused_ = true;  // no thread to be had (a process limit): read as it comes
        return;
      }
    }
    AheadChunk chunk;
    if (!spares_.empty()) {
      chunk.buffer = std::move(spares_.back());
      spares_.pop_back();
    }
    if (chunk.buffer.size() < kHeadroom + kReadSize) chunk.buffer.resize(kHeadroom + kReadSize);
    chunk.offset = next;
    // Kept before the read is asked for: the buffer must outlive it whatever happens.
    ahead_.push_back(std::move(chunk));
    read_ahead_->start(ahead_.back().buffer.data() + kHeadroom, next, kReadSize);
    next += kReadSize;
  }
}

void RecordReader::drop_read_ahead() {
  while (!ahead_.empty()) {
    read_ahead_->collect();  // its buffer is written to until then
    spares_.push_back(std::move(ahead_.front().buffer));
    ahead_.pop_front();
  }
}

bool RecordReader::take_read_ahead() {
  if (ahead_.empty()) return false;
  const ssize_t n = read_ahead_->collect();
  AheadChunk chunk = std::move(ahead_.front());
  ahead_.pop_front();
  const std::uint64_t buffered_end = buffer_offset_ + buffer_length_;
  const auto keep = static_cast<std::size_t>(buffered_end - std::min(position_, buffered_end));
  if (n <= 0 || chunk.offset != buffered_end || position_ < buffer_offset_ || position_ > buffered_end ||
      keep > kHeadroom) {
    spares_.push_back(std::move(chunk.buffer));
    drop_read_ahead();
    return false;
  }
  // The unread end of this buffer (part of a record) goes just before the bytes read ahead.
  std::memcpy(chunk.buffer.data() + kHeadroom - keep, base_ + (position_ - buffer_offset_), keep);
  spares_.push_back(std::move(buffer_));
  buffer_ = std::move(chunk.buffer);
  base_ = buffer_.data() + kHeadroom - keep;
  buffer_offset_ = position_;
  buffer_length_ = keep + static_cast<std::size_t>(n);
  if (static_cast<std::size_t>(n) < kReadSize) drop_read_ahead();  // the file ended there: the rest is past it
  return true;
}

bool RecordReader::open(std::string* error) {
  position_ = 0;
  struct stat st {};
  size_at_open_ = ::fstat(fd_.get(), &st) == 0 && st.st_size > 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
  if (!ensure(4)) {
    *error = "shorter than a capture file header";
    return false;
  }
  std::uint32_t magic = load32(base_, false);
  if (magic == kPcapMagicMicro || magic == kPcapMagicNano || magic == __builtin_bswap32(kPcapMagicMicro) ||
      magic == __builtin_bswap32(kPcapMagicNano)) {
    if (!ensure(kPcapFileHeaderSize)) {
      *error = "shorter than a pcap file header";
      return false;
    }
    format_ = FileFormat::kPcap;
    swapped_ = magic == __builtin_bswap32(kPcapMagicMicro) || magic == __builtin_bswap32(kPcapMagicNano);
    nano_ = (swapped_ ? __builtin_bswap32(magic) : magic) == kPcapMagicNano;
    snaplen_ = load32(base_ + 16, swapped_);
    if (snaplen_ == 0 || snaplen_ > kMaxRecordBytes) snaplen_ = kMaxRecordBytes;
    linktype_ = static_cast<int>(load32(base_ + 20, swapped_) & 0x0fffffff);
    position_ = header_bytes_ = kPcapFileHeaderSize;
    return true;
  }
  if (magic != kPcapngSectionHeader) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%08x", magic);
    *error = std::string("not a pcap or pcapng file (magic ") + hex + ")";
    return false;
  }
  format_ = FileFormat::kPcapng;
  // The header is the section header and the first interface description.
  PacketRecord ignored;
  opening_ = true;
  while (interfaces_.empty()) {
    Status status = next_pcapng(&ignored);
    if (status == Status::kMalformed) {
      *error = error_;
      return false;
    }
    if (status == Status::kEnd && interfaces_.empty()) {
      *error = "no interface description block yet";
      return false;
    }
    if (status == Status::kRecord) {
      *error = "a packet block comes before any interface description";
      return false;
    }
  }
  opening_ = false;
  header_bytes_ = position_;
  linktype_ = interfaces_.front().linktype;
  return true;
}

RecordReader::Status RecordReader::malformed(std::string why) {
  error_ = "offset " + std::to_string(position_) + ": " + why;
  return Status::kMalformed;
}

void RecordReader::seek(std::uint64_t offset, std::uint64_t end) {
  position_ = offset;
  read_end_ = end;
}

RecordReader::Status RecordReader::next(PacketRecord* record) {
  return format_ == FileFormat::kPcap ? next_pcap(record) : next_pcapng(record);
}

RecordReader::Status RecordReader::next_pcap(PacketRecord* record) {
  if (!ensure(kPcapRecordHeaderSize)) return Status::kEnd;
  const std::uint8_t* h = base_ + (position_ - buffer_offset_);
  std::uint32_t secs = load32(h, swapped_);
  std::uint32_t frac = load32(h + 4, swapped_);
  std::uint32_t caplen = load32(h + 8, swapped_);
  std::uint32_t origlen = load32(h + 12, swapped_);
  if (caplen > snaplen_ || caplen > kMaxRecordBytes)
    return malformed("captured length " + std::to_string(caplen) + " above the snapshot length " +
                     std::to_string(snaplen_));
  if (frac >= (nano_ ? 1000000000u : 1000000u)) return malformed("timestamp fraction out of range");
  if (caplen == 0 && secs == 0 && frac == 0) return Status::kEnd;  // zeros a power loss left
  if (!ensure(kPcapRecordHeaderSize + caplen)) return Status::kEnd;
  h = base_ + (position_ - buffer_offset_);
  record->ts = static_cast<NanoTime>(secs) * kNanosPerSecond + (nano_ ? frac : NanoTime{frac} * 1000);
  record->caplen = caplen;
  record->origlen = origlen < caplen ? caplen : origlen;
  record->data = h + kPcapRecordHeaderSize;
  record->offset = position_;
  const bool as_written = nano_ && !swapped_ && origlen >= caplen;
  record->verbatim = as_written ? h : nullptr;
  record->verbatim_size = kPcapRecordHeaderSize + caplen;
  position_ += kPcapRecordHeaderSize + caplen;
  return Status::kRecord;
}

bool RecordReader::read_interface(const std::uint8_t* body, std::uint32_t length) {
  if (length < 8) return false;
  Interface iface;
  iface.linktype = load16(body, swapped_);
  std::uint32_t snaplen = load32(body + 4, swapped_);
  if (interfaces_.empty() && snaplen != 0 && snaplen <= kMaxRecordBytes) snaplen_ = snaplen;
  std::uint32_t opt = 8;
  while (opt + 4 <= length) {
    std::uint16_t code = load16(body + opt, swapped_);
    std::uint16_t len = load16(body + opt + 2, swapped_);
    if (code == 0 || opt + 4 + len > length) break;
    if (code == 9 && len >= 1) iface.resolution = pcapng_resolution(body[opt + 4]);  // if_tsresol
    opt += 4 + ((len + 3u) & ~3u);
  }
  interfaces_.push_back(iface);
  return true;
}

RecordReader::Status RecordReader::next_pcapng(PacketRecord* record) {
  for (;;) {
    if (!ensure(12)) return Status::kEnd;
    const std::uint8_t* b = base_ + (position_ - buffer_offset_);
    std::uint32_t type = load32(b, false);
    if (type == kPcapngSectionHeader) {
      if (load32(b + 8, false) == kPcapngByteOrderMagic) swapped_ = false;
      else if (load32(b + 8, false) == __builtin_bswap32(kPcapngByteOrderMagic)) swapped_ = true;
      else return malformed("section header with an unknown byte-order magic");
      interfaces_.clear();
    } else {
      type = load32(b, swapped_);
    }
    std::uint32_t total = load32(b + 4, swapped_);
    if (total < 12 || total % 4 != 0 || total > kMaxBlockBytes)
      return malformed("block length " + std::to_string(total) + " is not a multiple of 4 between 12 and " +
                       std::to_string(kMaxBlockBytes));
    if (!ensure(total)) return Status::kEnd;
    b = base_ + (position_ - buffer_offset_);
    if (load32(b + total - 4, swapped_) != total) return malformed("block lengths at both ends differ");
    const std::uint8_t* body = b + 8;
    std::uint32_t body_len = total - 12;
    std::uint64_t offset = position_;
    position_ += total;
    if (type == kPcapngInterfaceDescription) {
      if (!read_interface(body, body_len)) return malformed("interface description shorter than 8 bytes");
      if (opening_) return Status::kEnd;  // the header ends with the first interface
      continue;
    }
    if (type == kPcapngEnhancedPacket || type == kObsoletePacketBlock) {
      if (body_len < 20) return malformed("packet block shorter than its fixed fields");
      std::uint32_t iface = type == kObsoletePacketBlock ? load16(body, swapped_) : load32(body, swapped_);
      std::uint32_t caplen = load32(body + 12, swapped_);
      std::uint32_t origlen = load32(body + 16, swapped_);
      if (caplen > body_len - 20) return malformed("captured length beyond its block");
      if (iface >= interfaces_.size()) return malformed("packet of an undeclared interface " + std::to_string(iface));
      std::uint64_t ticks = (std::uint64_t{load32(body + 4, swapped_)} << 32) | load32(body + 8, swapped_);
      record->ts = pcapng_ticks_to_ns(ticks, interfaces_[iface].resolution);
      record->caplen = caplen;
      record->origlen = origlen < caplen ? caplen : origlen;
      record->data = body + 20;
      record->offset = offset;
      record->verbatim = nullptr;
      return Status::kRecord;
    }
    if (type == kSimplePacketBlock && !interfaces_.empty()) {
      if (body_len < 4) return malformed("simple packet block shorter than its length field");
      // No timestamp: kept in order with the time of the record before it unknown; counted as 0.
      std::uint32_t origlen = load32(body, swapped_);
      std::uint32_t caplen = std::min(origlen, body_len - 4);
      record->ts = 0;
      record->caplen = caplen;
      record->origlen = origlen;
      record->data = body + 4;
      record->offset = offset;
      record->verbatim = nullptr;
      return Status::kRecord;
    }
    // Statistics, name resolution, custom blocks: not packets.
  }
}

}  // namespace pcap_ring
