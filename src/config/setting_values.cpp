#include "config/setting_values.h"

#include <strings.h>

#include <charconv>

namespace pcap_ring {

Problem parse_uint(const std::string& text, std::uint64_t min, std::uint64_t max, const char* what,
                   std::uint64_t* out) {
  std::uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || ptr != text.data() + text.size() || value < min || value > max)
    return "expected " + std::string(what) + " from " + std::to_string(min) + " to " + std::to_string(max);
  *out = value;
  return std::nullopt;
}

Problem parse_bool(const std::string& text, bool* out) {
  for (const char* y : {"1", "yes", "true", "on"})
    if (strcasecmp(text.c_str(), y) == 0) return *out = true, std::nullopt;
  for (const char* n : {"0", "no", "false", "off"})
    if (strcasecmp(text.c_str(), n) == 0) return *out = false, std::nullopt;
  return "expected yes or no";
}

Problem set_nonempty(std::string* field, const std::string& value, const char* what) {
  if (value.empty()) return std::string("expected ") + what;
  *field = value;
  return std::nullopt;
}

}  // namespace pcap_ring
