#include "cli/ring_selection.h"

#include "cli/capture_flags.h"
#include "common/environment.h"
#include "config/defaults.h"

namespace pcap_ring {

void add_ring_selection_flags(CLI::App& cmd, RingSelection& selection, RingSelectionFlags flags) {
  if (flags.interface == InterfaceArgument::kPositional)
    cmd.add_option("interface", selection.interface_name,
                   std::string("Interface (default: every ring under ") + kDefaultStateRoot + ")");
  cmd.add_option("-o,--output-dir", selection.output_dir, "Ring directory");
  if (flags.interface == InterfaceArgument::kOption)
    cmd.add_option("-i,--interface", selection.interface_name,
                   "Ring of this interface (its directory from the configuration unless --output-dir is given)");
  if (flags.prefix) cmd.add_option("--prefix", selection.prefix, "Only rings with this prefix");
  cmd.add_option("--config-dir", selection.config_dir, "Directory of packet-capture.conf and IFACE.conf");
}

std::optional<RingLocation> locate_ring(const RingSelection& selection) {
  if (!selection.output_dir.empty()) return RingLocation{selection.output_dir, selection.prefix};
  if (selection.interface_name.empty()) return std::nullopt;
  RawSettings raw;
  raw.values["interface"] = selection.interface_name;
  if (!selection.config_dir.empty()) raw.values["config_dir"] = selection.config_dir;
  CaptureConfig config = load_capture_config(raw, current_environment());
  return RingLocation{config.output_dir, selection.prefix.empty() ? config.prefix : selection.prefix};
}

}  // namespace pcap_ring
