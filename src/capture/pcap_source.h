// Where packets come from: a live interface (libpcap, TPACKET_V3 memory-mapped ring, BPF in
// the kernel) or a capture file (replay, benchmarks). Both deliver into a PacketSink.
#pragma once

#include <pcap/pcap.h>

#include <cstdint>
#include <memory>
#include <string>

#include "capture/packet_source.h"

namespace pcap_ring {

struct PcapCloser {
  void operator()(pcap_t* p) const { pcap_close(p); }
};
using PcapHandle = std::unique_ptr<pcap_t, PcapCloser>;

struct LiveOptions {
  std::string interface_name;
  std::uint32_t snaplen = 262144;
  bool promisc = true;
  std::uint64_t buffer_bytes = 32u << 20;
  std::string filter;
  int block_timeout_ms = 100;  // how long the kernel holds a partly filled block
};

class PcapSource final : public PacketSource {
 public:
  // Start-up: throw StartupError (78; 65 for a --read file that is not a capture file) naming
  // the interface, file or filter at fault.
  static std::unique_ptr<PcapSource> open_live(const LiveOptions& options);
  static std::unique_ptr<PcapSource> open_file(const std::string& path, const std::string& filter);

  int linktype() const override;
  std::uint32_t snaplen() const override;
  DispatchStatus dispatch(PacketSink& sink, int wait_ms) override;
  CaptureCounters counters() override;
  std::string last_error() const override { return last_error_; }
  bool set_filter(const std::string& filter, std::string* error) override;
  // Warnings pcap_activate returned (e.g. promiscuous mode not supported); empty if none.
  const std::string& activation_warning() const { return activation_warning_; }

 private:
  PcapSource(PcapHandle handle, bool live);

  PcapHandle handle_;
  bool live_;
  int fd_ = -1;
  std::string last_error_;
  std::string activation_warning_;
  // pcap_stats counters are 32 bits and wrap; these extend them.
  std::uint32_t last_recv_ = 0, last_drop_ = 0;
  CaptureCounters total_;
};

}  // namespace pcap_ring
