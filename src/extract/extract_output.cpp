#include "extract/extract_output.h"

#include <limits.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/log.h"
#include "common/unique_fd.h"

namespace pcap_ring {
namespace {

constexpr std::size_t kBufferSize = 1 << 20;
constexpr std::size_t kInterfaceIdOffset = 8;  // in an enhanced packet block
constexpr std::size_t kMaxPieces = 1024;  // one writev (IOV_MAX) at a time

std::uint32_t block_length(const std::vector<std::uint8_t>& bytes) {
  std::uint32_t length;
  std::memcpy(&length, bytes.data() + 4, 4);
  return length;
}

}  // namespace

ExtractOutput::ExtractOutput(int fd, FileFormat format, std::vector<OutputInterface> interfaces, OutputLimits limits)
    : fd_(fd), format_(format), interfaces_(std::move(interfaces)), limits_(limits), buffer_(kBufferSize) {
  for (std::size_t i = 0; i < interfaces_.size(); ++i) params_.push_back(params_for(i));
}

StreamParams ExtractOutput::params_for(std::size_t interface) const {
  StreamParams params;
  params.format = format_;
  params.precision = TimestampPrecision::kNano;
  const OutputInterface& i = interfaces_[interface];
  params.linktype = i.linktype;
  params.snaplen = limits_.snaplen ? std::min(*limits_.snaplen, i.snaplen) : i.snaplen;
  params.interface_name = i.name;
  // A pcapng option holds at most 65535 bytes: a longer filter is left out, not cut.
  params.filter = i.filter.size() < 65535 ? i.filter : std::string();
  return params;
}

bool ExtractOutput::begin() {
  std::vector<std::uint8_t> header;
  for (std::size_t i = 0; i < interfaces_.size(); ++i) {
    std::vector<std::uint8_t> part = encode_file_header(params_for(i));
    // pcapng: the section header once, then one interface description per ring.
    std::size_t skip = (format_ == FileFormat::kPcapng && i > 0) ? block_length(part) : 0;
    header.insert(header.end(), part.begin() + static_cast<std::ptrdiff_t>(skip), part.end());
    if (format_ == FileFormat::kPcap) break;
  }
  if (limits_.max_bytes && header.size() > *limits_.max_bytes) {
    error_ = "--max-bytes " + std::to_string(*limits_.max_bytes) + " leaves no room for the file header (" +
             std::to_string(header.size()) + " bytes)";
    return false;
  }
  if (header.size() > buffer_.size()) buffer_.resize(header.size());
  std::memcpy(buffer_.data(), header.data(), header.size());
  used_ = header.size();
  bytes_ = header.size();
  return true;
}

ExtractOutput::Result ExtractOutput::write(std::size_t interface, const PacketRecord& record) {
  if (!error_.empty()) return Result::kWriteError;
  if (limits_.max_packets && packets_ >= *limits_.max_packets) return Result::kLimitPackets;
  const StreamParams& params = params_[interface];
  std::uint32_t caplen = std::min(record.caplen, params.snaplen);
  std::size_t size = record_size(params, caplen);
  if (limits_.max_bytes && bytes_ + size > *limits_.max_bytes) return Result::kLimitBytes;
  if (format_ == FileFormat::kPcap && record.verbatim != nullptr && size == record.verbatim_size) {
    // Borrowed: the reader's bytes are the output's bytes.
    end_buffer_piece();
    auto* at = const_cast<std::uint8_t*>(record.verbatim);
    ++borrowed_;
    if (!pieces_.empty() && static_cast<std::uint8_t*>(pieces_.back().iov_base) + pieces_.back().iov_len == at &&
        (pieces_.back().iov_base < buffer_.data() || pieces_.back().iov_base >= buffer_.data() + buffer_.size()))
      pieces_.back().iov_len += size;  // the next record of a run
    else
      pieces_.push_back({at, size});
    if (pieces_.size() >= kMaxPieces && !flush()) return Result::kWriteError;
  } else {
    if (used_ + size > buffer_.size() && !flush()) return Result::kWriteError;
    if (size > buffer_.size()) buffer_.resize(size);
    std::uint8_t* at = buffer_.data() + used_;
    encode_record(params, at, record.ts, caplen, record.origlen, record.data);
    if (format_ == FileFormat::kPcapng) {
      auto id = static_cast<std::uint32_t>(interface);
      std::memcpy(at + kInterfaceIdOffset, &id, 4);
    }
    used_ += size;
  }
  bytes_ += size;
  ++packets_;
  return Result::kWritten;
}

void ExtractOutput::end_buffer_piece() {
  if (used_ > piece_start_) pieces_.push_back({buffer_.data() + piece_start_, used_ - piece_start_});
  piece_start_ = used_;
}

void ExtractOutput::release_borrowed() {
  if (borrowed_ == 0) return;  // only our own buffer is pending: it can wait
  if (error_.empty()) (void)flush();
  drop_pending();  // after an error nothing more is written, and nothing may point into the reader
}

void ExtractOutput::drop_pending() {
  pieces_.clear();
  used_ = piece_start_ = 0;
  borrowed_ = 0;
}

bool ExtractOutput::flush() {
  end_buffer_piece();
  std::size_t first = 0;
  while (first < pieces_.size()) {
    int count = static_cast<int>(std::min<std::size_t>(pieces_.size() - first, IOV_MAX));
    ssize_t n = ::writev(fd_, pieces_.data() + first, count);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error_ = n == 0 ? "cannot write the output: nothing was written"
               : errno == EPIPE ? "the reader of the output closed it"
                                : "cannot write the output: " + errno_text(errno);
      drop_pending();  // never written now: nothing may keep pointing into a reader
      return false;
    }
    // Past what was written; a partial write leaves the rest of a piece for the next call.
    auto left = static_cast<std::size_t>(n);
    while (left > 0) {
      std::size_t take = std::min(left, pieces_[first].iov_len);
      pieces_[first].iov_base = static_cast<std::uint8_t*>(pieces_[first].iov_base) + take;
      pieces_[first].iov_len -= take;
      left -= take;
      if (pieces_[first].iov_len == 0) ++first;
    }
  }
  drop_pending();
  return true;
}

bool ExtractOutput::finish() { return error_.empty() && flush(); }

}  // namespace pcap_ring
