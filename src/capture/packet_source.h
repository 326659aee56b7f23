// The packet source interface: where the capture loop gets packets from (libpcap on an
// interface or a file, a fake in tests) and what it delivers them to. The counters live here,
// with the interface that reports them, not with a particular consumer.
#pragma once

#include <cstdint>
#include <string>

#include "common/timestamp.h"

namespace pcap_ring {

// Cumulative capture counters of the packet source.
struct CaptureCounters {
  std::uint64_t received = 0;
  std::uint64_t dropped = 0;  // by the kernel (buffer full)
};

// Receives packets from a PacketSource.
class PacketSink {
 public:
  virtual ~PacketSink() = default;
  virtual void on_packet(NanoTime ts, std::uint32_t caplen, std::uint32_t origlen,
                         const std::uint8_t* data) = 0;
};

enum class DispatchStatus { kOk, kEndOfInput, kError };

class PacketSource {
 public:
  virtual ~PacketSource() = default;
  virtual int linktype() const = 0;
  virtual std::uint32_t snaplen() const = 0;
  // Waits up to `wait_ms` for packets and delivers what is there. kError: see last_error().
  virtual DispatchStatus dispatch(PacketSink& sink, int wait_ms) = 0;
  virtual CaptureCounters counters() = 0;
  virtual std::string last_error() const = 0;
  // Replaces the packet filter (configuration reload). Returns false with *error.
  virtual bool set_filter(const std::string& filter, std::string* error) = 0;
};

}  // namespace pcap_ring
