#include "service/service_report.h"

#include <cerrno>
#include <nlohmann/json.hpp>

#include "common/safe_open.h"

namespace pcap_ring {

std::string status_line(const LiveSnapshot& s) {
  std::string line = s.state + " on " + s.interface_name + ": " + std::to_string(s.packets) + " packets, " +
                     std::to_string(s.kernel_drops) + " dropped";
  if (s.ring.packets_lost) line += ", " + std::to_string(s.ring.packets_lost) + " lost to disk errors";
  line += "; file " + (s.current_file.empty() ? std::string("none") : s.current_file);
  line += "; " + std::to_string(s.hook_backlog) + " files waiting for hooks";
  if (s.hooks.stages_failed) line += ", " + std::to_string(s.hooks.stages_failed) + " hook failures";
  return line;
}

std::string status_json(const LiveSnapshot& s) {
  return nlohmann::ordered_json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

namespace {

// nlohmann's message without its "[json.exception.type_error.302] " prefix.
std::string json_problem(const nlohmann::json::exception& e) {
  std::string text = e.what();
  if (auto end = text.find("] "); text.rfind("[json.exception.", 0) == 0 && end != std::string::npos)
    text.erase(0, end + 2);
  return text;
}

}  // namespace

std::optional<LiveSnapshot> parse_status_json(const std::string& text, std::string* why) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) {
    if (why) *why = j.is_discarded() ? "not JSON" : "not a JSON object";
    return std::nullopt;
  }
  try {
    return j.get<LiveSnapshot>();
  } catch (const nlohmann::json::exception& e) {
    if (why) *why = json_problem(e);
    return std::nullopt;
  }
}

std::optional<LiveSnapshot> read_status_file(const std::string& path, std::string* why) {
  std::string text;
  if (int err = read_regular_file(path, &text); err != 0) {
    if (why) *why = err == ELOOP ? "is a symlink" : err == EINVAL ? "is not a regular file" : errno_text(err);
    return std::nullopt;
  }
  return parse_status_json(text, why);
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
  metric("packet_capture_written_bytes_total", "counter", "Bytes written to ring files.", s.ring.bytes_written, label);
  metric("packet_capture_lost_packets_total", "counter", "Packets lost to write errors such as a full disk.",
         s.ring.packets_lost, label);
  metric("packet_capture_rotations_total", "counter", "Ring files finished.", s.ring.files_finished, label);
  metric("packet_capture_deleted_files_total", "counter", "Ring files deleted by retention.", s.ring.files_deleted, label);
  metric("packet_capture_evicted_files_total", "counter", "Files deleted before all their hooks ran.",
         s.ring.files_evicted, label);
  metric("packet_capture_write_errors_total", "counter", "Failed writes, fsyncs, closes and renames.", s.ring.write_errors,
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
  result("ok", s.hooks.stages_succeeded);
  result("failed", s.hooks.stages_failed);
  result("retried", s.hooks.stages_retried);
  result("timed_out", s.hooks.stages_timed_out);
  return out;
}

}  // namespace pcap_ring
