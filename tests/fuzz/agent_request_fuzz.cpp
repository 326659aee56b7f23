// Fuzzes the agent's request parser: any bytes from a bus either parse or are refused with a
// reason, never an exception or a crash. What parses respects the limits it was given, and
// parsing the same bytes again gives the same request identity. The same bytes as a pub/sub
// payload split into envelope and body without a crash, and what they give is
// given again by the payload made from it. As an SQS ReceiveMessage entry (an SNS
// notification or not) they give a message no longer than themselves.
#include <cstdint>
#include <string>
#include <string_view>

#include "agent/agent_request.h"
#include "agent/redis_request_bus.h"
#include "agent/sqs_request_bus.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const pcap_ring::BusMessage from_channel = pcap_ring::parse_channel_payload(body);
  FUZZ_CHECK(from_channel.body.size() <= size);
  if (from_channel.algorithm != "malformed-envelope") {
    const pcap_ring::BusMessage again = pcap_ring::parse_channel_payload(pcap_ring::channel_payload(from_channel));
    FUZZ_CHECK(again.body == from_channel.body && again.key_id == from_channel.key_id &&
               again.algorithm == from_channel.algorithm && again.signature == from_channel.signature);
  }
  const nlohmann::json sqs_entry = nlohmann::json::parse(body, nullptr, false);
  if (!sqs_entry.is_discarded()) (void)pcap_ring::sqs_bus_message(sqs_entry);
  (void)pcap_ring::sqs_bus_message({{"Body", std::string(body)}});
  pcap_ring::AgentRequestLimits limits;
  limits.max_packets = 1000;
  limits.max_duration_seconds = 600;
  pcap_ring::AgentRequest request;
  std::string why;
  if (!pcap_ring::parse_agent_request(body, limits, &request, &why)) {
    FUZZ_CHECK(!why.empty());
    return 0;
  }
  FUZZ_CHECK(!request.id.empty());
  FUZZ_CHECK(request.node.has_value() != request.nodere.has_value());
  FUZZ_CHECK(request.interfaces.empty() != request.aliases.empty());
  FUZZ_CHECK(!request.packets || (*request.packets >= 1 && *request.packets <= limits.max_packets));
  FUZZ_CHECK(!request.duration_seconds || *request.duration_seconds <= limits.max_duration_seconds);
  FUZZ_CHECK(request.from.has_value() == request.to.has_value());
  FUZZ_CHECK(!request.from || *request.from < *request.to);
  pcap_ring::AgentRequest again;
  FUZZ_CHECK(pcap_ring::parse_agent_request(body, limits, &again, &why));
  FUZZ_CHECK(again.id == request.id);
  (void)pcap_ring::request_names_node(request, "sensor-1");
  return 0;
}
