// The bus connections the agent and `request` both make, assembled once from the settings.
#pragma once

#include "agent/kafka_request_bus.h"
#include "config/agent_settings.h"

namespace pcap_ring {

// [kafka] brokers, timeout and TLS.
KafkaEndpoint kafka_endpoint(const AgentSettings& settings);

}  // namespace pcap_ring
