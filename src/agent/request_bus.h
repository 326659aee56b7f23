// What the agent needs from a message bus, whichever it is (Redis, Kafka): requests delivered
// at least once, acknowledged only once recorded, and a way to send answers.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent/request_admission.h"

namespace pcap_ring {

// The names a signature travels under on a bus that carries it beside the body (Kafka
// message headers, SQS message attributes).
inline constexpr const char* kSignatureKeyIdName = "pc-kid";
inline constexpr const char* kSignatureAlgorithmName = "pc-alg";
inline constexpr const char* kSignatureValueName = "pc-sig";

struct BusDelivery {
  BusMessage message;
  std::string entry_id;      // the bus's position of the message (stream entry id, partition:offset); "" for pub/sub
  bool redelivered = false;  // this node read it before but did not acknowledge it (it stopped first)
};

// Where requests come from. Used from one thread.
class RequestSource {
 public:
  virtual ~RequestSource() = default;
  // Connects (again); false with *error while the bus cannot be reached.
  [[nodiscard]] virtual bool open(std::string* error) = 0;
  // Requests that arrive within `wait` (none is not an error). False: the connection broke.
  [[nodiscard]] virtual bool read(std::vector<BusDelivery>* out, std::chrono::milliseconds wait, std::string* error) = 0;
  // The delivery is recorded: the bus need not deliver it again.
  [[nodiscard]] virtual bool ack(const BusDelivery& delivery, std::string* error) = 0;
  // "stream pcap:req as group node-a at 127.0.0.1:6379", for the log.
  virtual std::string describe() const = 0;
};

// Where answers go: a stream or topic of the same bus. Shared by the agent's threads.
class AnswerSink {
 public:
  virtual ~AnswerSink() = default;
  [[nodiscard]] virtual bool send(const std::string& destination, const nlohmann::json& answer, std::string* error) = 0;
};

}  // namespace pcap_ring
