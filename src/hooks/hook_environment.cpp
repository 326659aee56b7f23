#include "hooks/hook_environment.h"

#include <charconv>
#include <filesystem>

#include "ring/ring_names.h"

namespace pcap_ring {
namespace {

constexpr const char* kFile = "PCAP_FILE";
constexpr const char* kInterface = "PCAP_INTERFACE";
constexpr const char* kSequence = "PCAP_SEQUENCE";
constexpr const char* kPackets = "PCAP_PACKETS";
constexpr const char* kBytes = "PCAP_BYTES";
constexpr const char* kFirstTime = "PCAP_FIRST_TIME";
constexpr const char* kLastTime = "PCAP_LAST_TIME";
constexpr const char* kDropped = "PCAP_DROPPED";
constexpr const char* kAttempt = "PCAP_HOOK_ATTEMPT";

std::uint64_t to_u64(const std::string& s) {
  std::uint64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

}  // namespace

HookFileInfo hook_file_info(const std::string& path, const std::string& interface_name, const FileRecord& file,
                            unsigned attempt) {
  HookFileInfo info;
  info.path = path;
  info.interface_name = interface_name;
  info.sequence = file.sequence;
  info.packets = file.packets;
  info.bytes = file.bytes;
  info.first_time = file.packets ? format_rfc3339_ns(file.first) : "";
  info.last_time = file.packets ? format_rfc3339_ns(file.last) : "";
  info.dropped = file.drops;
  info.attempt = attempt;
  return info;
}

std::vector<std::string> hook_environment(const HookFileInfo& info) {
  std::vector<std::string> env;
  auto add = [&](const char* key, const std::string& value) { env.push_back(std::string(key) + "=" + value); };
  add(kFile, info.path);
  add(kInterface, info.interface_name);
  add(kSequence, std::to_string(info.sequence));
  add(kPackets, std::to_string(info.packets));
  add(kBytes, std::to_string(info.bytes));
  add(kFirstTime, info.first_time);
  add(kLastTime, info.last_time);
  add(kDropped, std::to_string(info.dropped));
  add(kAttempt, std::to_string(info.attempt));
  return env;
}

bool is_hook_environment_entry(std::string_view entry) {
  std::string_view name = entry.substr(0, entry.find('='));
  for (const char* own : {kFile, kInterface, kSequence, kPackets, kBytes, kFirstTime, kLastTime, kDropped, kAttempt})
    if (name == own) return true;
  return false;
}

HookFileInfo hook_file_info_from_environment(const std::string& path,
                                             const std::map<std::string, std::string>& env) {
  HookFileInfo info;
  std::error_code ec;
  auto abs = std::filesystem::absolute(path, ec);
  info.path = ec ? path : abs.lexically_normal().string();
  auto get = [&](const char* name) {
    auto it = env.find(name);
    return it == env.end() ? std::string() : it->second;
  };
  info.interface_name = get(kInterface);
  info.sequence = to_u64(get(kSequence));
  info.packets = to_u64(get(kPackets));
  info.bytes = to_u64(get(kBytes));
  info.first_time = get(kFirstTime);
  info.last_time = get(kLastTime);
  info.dropped = to_u64(get(kDropped));
  std::uint64_t attempt = to_u64(get(kAttempt));
  info.attempt = attempt ? static_cast<unsigned>(attempt) : 1;

  // By hand: "<prefix>-<iface>-<seq>.<ext>" gives interface and sequence.
  if (auto name = parse_any_ring_file_name(std::filesystem::path(info.path).filename().string())) {
    if (get(kSequence).empty()) info.sequence = name->seq;
    if (info.interface_name.empty()) info.interface_name = name->interface_name;
  }
  if (info.bytes == 0) info.bytes = std::filesystem::file_size(info.path, ec);
  if (ec) info.bytes = 0;
  return info;
}

}  // namespace pcap_ring
