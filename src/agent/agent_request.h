// A capture request as the agent receives it from a bus: a superset of pcapdaemon's JSON
// message (node/nodere, interface/alias, bpf, snap, packets, bytes, timeout, duration, tags,
// customer, alertid, S3 fields...) plus the request's identity and a window on the past
// (`from`/`to`, or `at` with `before`/`after`). Parsing checks every field it knows (type,
// range, the configured limits) and names the first bad one; fields it does not know are
// ignored, so newer senders still reach older agents.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/timestamp.h"

namespace pcap_ring {

// What a request may ask for, from the agent's configuration (pcapdaemon's [general]).
struct AgentRequestLimits {
  std::size_t max_message_bytes = 64 * 1024;
  std::uint64_t max_packets = 50'000;
  std::uint64_t max_bytes = 100'000'000;
  std::int64_t max_duration_seconds = 3600;
  std::int64_t max_timeout_seconds = 3600;
  std::int64_t default_timeout_seconds = 10;
  std::size_t max_nodere_length = 256;
  std::size_t max_names = 64;  // interfaces, aliases, tags
};

struct AgentRequest {
  int version = 1;
  std::string id;  // the sender's, or one made from the body's hash when absent
  bool id_generated = false;
  // Which nodes: exactly one of these. node "any" names every node.
  std::optional<std::string> node;
  // A POSIX extended regex matching the whole name: no bounds, no backslash, at most 8
  // repetitions (* + ?), none stacked or on a group (regcomp would grow exponentially).
  std::optional<std::string> nodere;
  // Which interfaces: exactly one of these.
  std::vector<std::string> interfaces;
  std::vector<std::string> aliases;
  std::string bpf;
  std::optional<std::uint32_t> snap;
  // Limits of the result; the first one hit ends it. Absent: the configured maximum applies.
  std::optional<std::uint64_t> packets;
  std::optional<std::uint64_t> bytes;
  std::optional<std::int64_t> duration_seconds;
  std::int64_t timeout_seconds = 0;  // idle time that ends a live request (the default when absent)
  // A window on the past: [from, to). Absent: [now, now + duration), answered as the ring is written.
  std::optional<NanoTime> from;
  std::optional<NanoTime> to;
  std::optional<NanoTime> sent_at;  // `ts`: when the sender made it (checked against the clock skew)
  // Metadata carried into the result.
  std::vector<std::string> tags;
  std::string customer;
  std::string alertid;
  bool packetdebug = false;
  bool logrequest = false;
  // Where the result goes: a destination the agent's configuration names.
  std::string destination;
  std::string format = "pcapng";
  std::string reply_to;
  // S3 fields of pcapdaemon's message: accepted only when they repeat the destination's own.
  std::optional<std::string> folder;
  std::optional<std::string> bucket;
  std::optional<std::string> acl;
  std::optional<std::string> region;
  std::optional<std::string> endpoint;
  std::optional<bool> encryption;
};

// Parses one message body. False with *error = "FIELD: what is wrong (what is allowed)" (or a
// message-level reason: size, not JSON, not an object).
[[nodiscard]] bool parse_agent_request(std::string_view body, const AgentRequestLimits& limits, AgentRequest* request,
                                       std::string* error);

// A request id: 1-128 letters, digits, '.', '_', ':' or '-', not starting with '.' (ids name
// result objects and lines of the agent's state).
bool valid_request_id(std::string_view id);

// True when the request names this node (`node` exactly or "any", or `nodere` matching the
// whole name). A nodere that does not compile names no node.
bool request_names_node(const AgentRequest& request, const std::string& node_name);

}  // namespace pcap_ring
