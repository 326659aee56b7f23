#include "hooks/hook_environment.h"

#include <charconv>
#include <filesystem>

namespace pcap_ring {
namespace {

std::uint64_t to_u64(const std::string& s) {
  std::uint64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

}  // namespace

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
  info.interface_name = get("PCAP_INTERFACE");
  info.sequence = to_u64(get("PCAP_SEQUENCE"));
  info.packets = to_u64(get("PCAP_PACKETS"));
  info.bytes = to_u64(get("PCAP_BYTES"));
  info.first_time = get("PCAP_FIRST_TIME");
  info.last_time = get("PCAP_LAST_TIME");
  info.dropped = to_u64(get("PCAP_DROPPED"));
  std::uint64_t attempt = to_u64(get("PCAP_HOOK_ATTEMPT"));
  info.attempt = attempt ? static_cast<unsigned>(attempt) : 1;

  // By hand: "<prefix>-<iface>-<seq>.<ext>" gives interface and sequence.
  std::string stem = std::filesystem::path(info.path).stem().string();
  auto last_dash = stem.rfind('-');
  if (last_dash != std::string::npos) {
    std::string seq = stem.substr(last_dash + 1);
    bool digits = !seq.empty() && seq.find_first_not_of("0123456789") == std::string::npos;
    if (digits && get("PCAP_SEQUENCE").empty()) info.sequence = to_u64(seq);
    auto first_dash = stem.find('-');
    if (digits && info.interface_name.empty() && first_dash < last_dash)
      info.interface_name = stem.substr(first_dash + 1, last_dash - first_dash - 1);
  }
  if (info.bytes == 0) info.bytes = std::filesystem::file_size(info.path, ec);
  if (ec) info.bytes = 0;
  return info;
}

}  // namespace pcap_ring
