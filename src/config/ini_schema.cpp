#include "config/ini_file.h"

namespace pcap_ring {

// One line per section; the part of the product that owns a section validates its values.
const std::vector<IniSection>& ini_schema() {
  static const std::vector<IniSection> schema = {
      {"capture", {"output_dir", "prefix", "file_size", "file_limit", "rotate_seconds", "max_bytes", "min_free",
                   "filter", "snaplen", "buffer_size", "promisc", "format", "tstamp", "metrics_file", "direct_io"}},
      {"hooks", {"hooks_dir", "post_rotate", "timeout", "jobs", "backlog_bytes", "drain_seconds",
                 "pass_environment"}},
      {"cloudshark", {"url", "token_file", "ca_file", "verify", "timeout", "ring", "ring_size", "tags"}},
      {"s3", {"endpoint", "region", "bucket", "key_template", "prefix", "access_key_id_file",
              "secret_access_key_file", "path_style", "multipart_threshold_mb", "part_size_mb",
              "ca_file", "verify", "timeout"}},
      {"suricata", {"socket", "output_dir", "continuous_dir", "timeout"}},
  };
  return schema;
}

}  // namespace pcap_ring
