#include "extract/extract_output.h"

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
  if (limits_.max_packets && packets_ >= *limits_.max_packets) return Result::kLimitPackets;
  const StreamParams& params = params_[interface];
  std::uint32_t caplen = std::min(record.caplen, params.snaplen);
  std::size_t size = record_size(params, caplen);
  if (limits_.max_bytes && bytes_ + size > *limits_.max_bytes) return Result::kLimitBytes;
  if (used_ + size > buffer_.size() && !flush()) return Result::kWriteError;
  if (size > buffer_.size()) buffer_.resize(size);
  std::uint8_t* at = buffer_.data() + used_;
  encode_record(params, at, record.ts, caplen, record.origlen, record.data);
  if (format_ == FileFormat::kPcapng) {
    auto id = static_cast<std::uint32_t>(interface);
    std::memcpy(at + kInterfaceIdOffset, &id, 4);
  }
  used_ += size;
  bytes_ += size;
  ++packets_;
  return Result::kWritten;
}

bool ExtractOutput::flush() {
  std::size_t done = 0;
  while (done < used_) {
    ssize_t n = ::write(fd_, buffer_.data() + done, used_ - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error_ = errno == EPIPE ? "the reader of the output closed it" : "cannot write the output: " + errno_text(errno);
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  used_ = 0;
  return true;
}

bool ExtractOutput::finish() { return flush(); }

}  // namespace pcap_ring
