#include "service/run_command.h"

#include <cstdlib>

#include "capture/pcap_source.h"
#include "common/log.h"
#include "service/daemon.h"

namespace pcap_ring {
namespace {

LiveOptions live_options(const CaptureConfig& config, const std::string& filter) {
  LiveOptions live;
  live.interface_name = config.interface_name;
  live.snaplen = config.snaplen;
  live.promisc = config.promisc;
  live.buffer_bytes = config.buffer_size_mb << 20;
  live.filter = filter;
  return live;
}

}  // namespace

SourceOpener pcap_source_opener(const CaptureConfig& config) {
  if (!config.read_file.empty())
    return [path = config.read_file](const std::string& filter) -> std::unique_ptr<PacketSource> {
      return PcapSource::open_file(path, filter);
    };
  // Activation warnings are logged at start-up only, not at every reopening.
  return [config, opened_before = false](const std::string& filter) mutable -> std::unique_ptr<PacketSource> {
    std::unique_ptr<PcapSource> source = PcapSource::open_live(live_options(config, filter));
    if (!opened_before && !source->activation_warning().empty())
      log::warning("interface " + config.interface_name + ": " + source->activation_warning());
    opened_before = true;
    return source;
  };
}

bool wedge_capture_requested_by_environment() {
  return std::getenv("PACKET_CAPTURE_TEST_WEDGE_CAPTURE") != nullptr;
}

int run_capture(const CaptureConfig& config, std::function<CaptureConfig()> reload) {
  DaemonOptions options;
  options.config = config;
  options.reload = std::move(reload);
  options.open_source = pcap_source_opener(config);
  options.wedge_capture_for_test = wedge_capture_requested_by_environment();
  Daemon daemon(std::move(options));
  return daemon.run();
}

}  // namespace pcap_ring
