#include "ring/ring_names.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <cstdio>

namespace pcap_ring {

std::string ring_file_name(const RingId& ring, std::uint64_t seq, FileFormat format) {
  char digits[32];
  std::snprintf(digits, sizeof digits, "%06llu", static_cast<unsigned long long>(seq));
  return ring.prefix + "-" + ring.interface_name + "-" + digits + file_extension(format);
}

std::optional<ParsedName> parse_ring_file_name(const RingId& ring, std::string_view name) {
  ParsedName parsed;
  if (name.ends_with(kPartSuffix)) {
    parsed.partial = true;
    name.remove_suffix(kPartSuffix.size());
  }
  if (name.ends_with(".pcapng")) {
    parsed.format = FileFormat::kPcapng;
    name.remove_suffix(7);
  } else if (name.ends_with(".pcap")) {
    parsed.format = FileFormat::kPcap;
    name.remove_suffix(5);
  } else {
    return std::nullopt;
  }
  std::string head = ring.prefix + "-" + ring.interface_name + "-";
  if (!name.starts_with(head)) return std::nullopt;
  name.remove_prefix(head.size());
  if (name.size() < 6) return std::nullopt;
  for (char c : name)
    if (c < '0' || c > '9') return std::nullopt;
  auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), parsed.seq);
  if (ec != std::errc{} || ptr != name.data() + name.size()) return std::nullopt;
  // Reject "0000001" style names we never produce: they would alias another sequence.
  if (name.size() > 6 && name.front() == '0') return std::nullopt;
  return parsed;
}

std::vector<std::string> ring_state_files(const std::string& dir, const std::string& suffix,
                                          const std::string& prefix, const std::string& interface_name,
                                          std::string* error) {
  std::vector<std::string> paths;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.size() <= suffix.size() + 1 || name.front() != '.' || !name.ends_with(suffix)) continue;
    if (!prefix.empty() && !interface_name.empty()) {
      if (name != "." + prefix + "-" + interface_name + suffix) continue;  // "br-eth0" is not "eth0"
    } else {
      if (!prefix.empty() && !name.starts_with("." + prefix + "-")) continue;
      if (!interface_name.empty() && !name.ends_with("-" + interface_name + suffix)) continue;
    }
    paths.push_back(entry.path().string());
  }
  if (ec && error) *error = ec.message();
  std::sort(paths.begin(), paths.end());
  return paths;
}

bool is_valid_name_part(std::string_view part) {
  if (part.empty() || part.front() == '.') return false;
  for (char c : part)
    if (c == '/' || c == '\0' || c == '\n') return false;
  return true;
}

}  // namespace pcap_ring
