#include "service/service_report.h"

#include <nlohmann/json.hpp>

namespace pcap_ring {

std::string status_file_name(const std::string& prefix, const std::string& interface_name) {
  return "." + prefix + "-" + interface_name + ".status";
}

std::string status_line(const LiveSnapshot& s) {
  std::string line = s.state + " on " + s.interface_name + ": " + std::to_string(s.packets) + " packets, " +
                     std::to_string(s.kernel_drops) + " dropped";
  if (s.packets_lost) line += ", " + std::to_string(s.packets_lost) + " lost to disk errors";
  line += "; file " + (s.current_file.empty() ? std::string("none") : s.current_file);
  line += "; " + std::to_string(s.hook_backlog) + " files waiting for hooks";
  if (s.hook_stages_failed) line += ", " + std::to_string(s.hook_stages_failed) + " hook failures";
  return line;
}

#define PC_FIELDS(X)                                                                                        \
  X(pid) X(started_unix) X(packets) X(kernel_drops) X(packets_written) X(bytes_written) X(packets_lost)   \
  X(files_finished) X(files_deleted) X(files_evicted) X(write_errors) X(interface_restarts) X(hook_backlog) \
  X(hooks_running) X(hook_stages_ok) X(hook_stages_failed) X(hook_stages_retried) X(hook_stages_timed_out)

std::string status_json(const LiveSnapshot& s) {
  nlohmann::ordered_json j;
  j["interface"] = s.interface_name;
  j["output_dir"] = s.output_dir;
  j["state"] = s.state;
  j["current_file"] = s.current_file;
#define PC_PUT(f) j[#f] = s.f;
  PC_FIELDS(PC_PUT)
#undef PC_PUT
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::optional<LiveSnapshot> parse_status_json(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  LiveSnapshot s;
  try {
    s.interface_name = j.at("interface").get<std::string>();
    s.output_dir = j.at("output_dir").get<std::string>();
    s.state = j.at("state").get<std::string>();
    s.current_file = j.at("current_file").get<std::string>();
#define PC_GET(f) s.f = j.at(#f).get<std::uint64_t>();
    PC_FIELDS(PC_GET)
#undef PC_GET
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
  return s;
}

std::string metrics_text(const LiveSnapshot& s) {
  std::string label = "{interface=\"" + s.interface_name + "\"}";
  std::string out;
  auto metric = [&](const char* name, const char* type, const char* help, std::uint64_t value,
                    const std::string& labels) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
    out += std::string(name) + labels + " " + std::to_string(value) + "\n";
  };
  metric("packet_capture_packets_total", "counter", "Packets captured into the ring.", s.packets, label);
  metric("packet_capture_kernel_drops_total", "counter", "Packets the kernel dropped because the capture buffer was full.",
         s.kernel_drops, label);
  metric("packet_capture_written_bytes_total", "counter", "Bytes written to ring files.", s.bytes_written, label);
  metric("packet_capture_lost_packets_total", "counter", "Packets lost to write errors such as a full disk.",
         s.packets_lost, label);
  metric("packet_capture_rotations_total", "counter", "Ring files finished.", s.files_finished, label);
  metric("packet_capture_deleted_files_total", "counter", "Ring files deleted by retention.", s.files_deleted, label);
  metric("packet_capture_evicted_files_total", "counter", "Files deleted before all their hooks ran.",
         s.files_evicted, label);
  metric("packet_capture_write_errors_total", "counter", "Failed writes, fsyncs, closes and renames.", s.write_errors,
         label);
  metric("packet_capture_interface_restarts_total", "counter", "Times the capture was reopened after the interface failed.",
         s.interface_restarts, label);
  metric("packet_capture_hook_backlog_files", "gauge", "Finished files with hook stages still to run.", s.hook_backlog,
         label);
  out += "# HELP packet_capture_hook_stages_total Hook stage runs by result.\n# TYPE packet_capture_hook_stages_total counter\n";
  auto result = [&](const char* r, std::uint64_t v) {
    out += "packet_capture_hook_stages_total{interface=\"" + s.interface_name + "\",result=\"" + r + "\"} " +
           std::to_string(v) + "\n";
  };
  result("ok", s.hook_stages_ok);
  result("failed", s.hook_stages_failed);
  result("retried", s.hook_stages_retried);
  result("timed_out", s.hook_stages_timed_out);
  return out;
}

}  // namespace pcap_ring
