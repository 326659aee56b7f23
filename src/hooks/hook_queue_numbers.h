// Every number in the hook queue file is a count, a sequence number or a time in nanoseconds:
// a whole number from 0. A negative one ("last_enqueued": -5) would otherwise be read as
// 2^64 - 5 and a fraction silently cut, so either makes the queue damaged.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace pcap_ring {

// The JSON pointer ("/last_enqueued", "/jobs/0/attempt") of the first number in `j` that is
// negative or not whole; empty when there is none.
std::string first_out_of_range_number(const nlohmann::json& j);

}  // namespace pcap_ring
