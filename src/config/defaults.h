// Built-in locations, named once: every default path of the product derives from these.
#pragma once

namespace pcap_ring {

// Configuration directory: packet-capture.conf, IFACE.conf and hooks.d (--config-dir, CONFIG_DIR).
inline constexpr const char* kDefaultConfigDir = "/etc/packet-capture";
// Parent of each ring's default output directory (<root>/<iface>).
inline constexpr const char* kDefaultStateRoot = "/var/lib/packet-capture";

}  // namespace pcap_ring
