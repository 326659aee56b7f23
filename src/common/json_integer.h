// Reading integers from JSON the product wrote itself (index, hook queue) but that may have
// been damaged or planted: nlohmann converts a float to an integer with a plain cast (undefined
// behaviour when out of range, e.g. 1e30) and wraps a negative number into an unsigned one.
// Here only a JSON integer that fits the target type is accepted.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <utility>

namespace pcap_ring {

// The integer in `j`, or a nlohmann::json::type_error when `j` is not an integer that fits Int.
template <typename Int>
Int json_integer(const nlohmann::json& j) {
  if (j.is_number_unsigned()) {
    auto v = j.get<std::uint64_t>();
    if (std::in_range<Int>(v)) return static_cast<Int>(v);
  } else if (j.is_number_integer()) {
    auto v = j.get<std::int64_t>();
    if (std::in_range<Int>(v)) return static_cast<Int>(v);
  }
  throw nlohmann::json::type_error::create(302, "expected an integer in range, got " + j.dump(), &j);
}

// The integer under `key` of object `j`, or `fallback` when the key is absent.
template <typename Int>
Int json_integer_or(const nlohmann::json& j, const char* key, Int fallback) {
  if (!j.is_object()) throw nlohmann::json::type_error::create(306, "expected an object, got " + j.dump(), &j);
  auto it = j.find(key);
  return it == j.end() ? fallback : json_integer<Int>(*it);
}

}  // namespace pcap_ring
