#include "hooks/hook_queue_numbers.h"

namespace pcap_ring {
namespace {

std::string find_in(const nlohmann::json& j, const std::string& where) {
  if (j.is_number()) return j.is_number_unsigned() ? std::string() : (where.empty() ? "/" : where);
  if (j.is_object()) {
    for (const auto& [key, value] : j.items())
      if (std::string bad = find_in(value, where + "/" + key); !bad.empty()) return bad;
  } else if (j.is_array()) {
    for (std::size_t i = 0; i < j.size(); ++i)
      if (std::string bad = find_in(j[i], where + "/" + std::to_string(i)); !bad.empty()) return bad;
  }
  return "";
}

}  // namespace

std::string first_out_of_range_number(const nlohmann::json& j) { return find_in(j, ""); }

}  // namespace pcap_ring
