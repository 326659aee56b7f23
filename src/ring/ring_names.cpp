#include "ring/ring_names.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>

namespace pcap_ring {
namespace {

constexpr std::string_view kPartSuffix = ".part";

std::string_view state_suffix(StateFile kind) {
  switch (kind) {
    case StateFile::kIndex: return ".index";
    case StateFile::kHooks: return ".hooks";
    case StateFile::kStatus: return ".status";
    case StateFile::kLock: return ".lock";
  }
  return "";
}

// Removes ".pcap"/".pcapng" (after an optional ".part") from `name`.
bool strip_extension(std::string_view* name, FileFormat* format, bool* partial) {
  *partial = name->ends_with(kPartSuffix);
  if (*partial) name->remove_suffix(kPartSuffix.size());
  for (FileFormat f : {FileFormat::kPcapng, FileFormat::kPcap}) {
    std::string_view ext = file_extension(f);
    if (name->ends_with(ext)) {
      name->remove_suffix(ext.size());
      *format = f;
      return true;
    }
  }
  return false;
}

std::optional<std::uint64_t> parse_digits(std::string_view digits) {
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  std::uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc{} || ptr != digits.data() + digits.size()) return std::nullopt;
  return value;
}

bool is_plain_name(std::string_view name) {
  return !name.empty() && name.front() != '.' && name.find('/') == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}

}  // namespace

std::string ring_label(const RingId& ring) { return ring.prefix + "-" + ring.interface_name; }

std::string ring_file_name(const RingId& ring, std::uint64_t seq, FileFormat format) {
  char digits[32];
  std::snprintf(digits, sizeof digits, "%06llu", static_cast<unsigned long long>(seq));
  return ring_label(ring) + "-" + digits + std::string(file_extension(format));
}

std::string part_file_name(std::string_view final_name) { return std::string(final_name) + std::string(kPartSuffix); }

std::optional<ParsedName> parse_ring_file_name(const RingId& ring, std::string_view name) {
  ParsedName parsed;
  if (!is_plain_name(name) || !strip_extension(&name, &parsed.format, &parsed.partial)) return std::nullopt;
  std::string head = ring_label(ring) + "-";
  if (!name.starts_with(head)) return std::nullopt;
  name.remove_prefix(head.size());
  if (name.size() < 6) return std::nullopt;
  // Reject "0000001" style names we never produce: they would alias another sequence.
  if (name.size() > 6 && name.front() == '0') return std::nullopt;
  auto seq = parse_digits(name);
  if (!seq) return std::nullopt;
  parsed.seq = *seq;
  return parsed;
}

std::optional<AnyRingFileName> parse_any_ring_file_name(std::string_view name) {
  AnyRingFileName parsed;
  if (!is_plain_name(name)) return std::nullopt;
  name = name.substr(0, name.find('.'));
  auto last_dash = name.rfind('-');
  if (last_dash == std::string_view::npos) return std::nullopt;
  auto seq = parse_digits(name.substr(last_dash + 1));
  if (!seq) return std::nullopt;
  parsed.seq = *seq;
  parsed.stem = std::string(name.substr(0, last_dash + 1));
  auto first_dash = name.find('-');
  if (first_dash < last_dash) parsed.interface_name = std::string(name.substr(first_dash + 1, last_dash - first_dash - 1));
  return parsed;
}

std::string flow_index_file_name(std::string_view ring_file_name) {
  return "." + std::string(ring_file_name) + ".flows";
}

std::optional<std::string> flow_index_owner(std::string_view name) {
  constexpr std::string_view kSuffix = ".flows";
  if (name.size() <= kSuffix.size() + 1 || name.front() != '.' || !name.ends_with(kSuffix)) return std::nullopt;
  std::string_view owner = name.substr(1, name.size() - 1 - kSuffix.size());
  if (!is_plain_name(owner) || !parse_any_ring_file_name(owner)) return std::nullopt;
  return std::string(owner);
}

std::string state_file_name(const RingId& ring, StateFile kind) { return state_file_name(ring_label(ring), kind); }

std::string state_file_name(std::string_view label, StateFile kind) {
  return "." + std::string(label) + std::string(state_suffix(kind));
}

std::optional<std::string> state_file_ring_label(std::string_view name, StateFile kind) {
  std::string_view suffix = state_suffix(kind);
  if (name.size() <= suffix.size() + 1 || name.front() != '.' || !name.ends_with(suffix)) return std::nullopt;
  std::string_view label = name.substr(1, name.size() - 1 - suffix.size());
  if (!is_plain_name(label)) return std::nullopt;
  return std::string(label);
}

std::vector<std::string> ring_state_files(const std::string& dir, StateFile kind, const std::string& prefix,
                                          const std::string& interface_name, std::string* error) {
  std::vector<std::string> paths;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    auto label = state_file_ring_label(entry.path().filename().string(), kind);
    if (!label) continue;
    if (!prefix.empty() && !interface_name.empty()) {
      if (*label != ring_label({prefix, interface_name})) continue;  // "br-eth0" is not "eth0"
    } else {
      if (!prefix.empty() && !label->starts_with(prefix + "-")) continue;
      if (!interface_name.empty() && !label->ends_with("-" + interface_name)) continue;
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
