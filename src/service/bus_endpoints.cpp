#include "service/bus_endpoints.h"

namespace pcap_ring {

KafkaEndpoint kafka_endpoint(const AgentSettings& settings) {
  KafkaEndpoint endpoint;
  endpoint.brokers = settings.kafka_brokers;
  endpoint.timeout = std::chrono::seconds(settings.kafka_timeout_seconds);
  endpoint.tls = settings.kafka_tls;
  return endpoint;
}

}  // namespace pcap_ring
