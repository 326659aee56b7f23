// Requests and answers on Kafka (librdkafka). Requests come from a topic read by a consumer
// group named after the node, on all its partitions, so every node gets its own copy; a
// request's offset is committed only once it is recorded, so one read but not recorded (the
// agent died first) is delivered again. A new group starts at the topic's end and commits
// that position at once: a new node does not act on old requests, and requests sent while
// it is down later are not lost. The body is the message value; a signature travels in the
// headers pc-kid, pc-alg and pc-sig. Answers are messages of a reply topic.
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agent/request_bus.h"
#include "common/tls_client_settings.h"

namespace pcap_ring {

// Where the brokers are and how to reach them.
struct KafkaEndpoint {
  std::string brokers;  // bootstrap.servers
  std::chrono::milliseconds timeout{10000};
  TlsClientSettings tls;  // security.protocol ssl: the brokers' certificates verified
};

struct KafkaBusSettings {
  KafkaEndpoint endpoint;
  std::string topic;
  std::string group;  // the node's name
  // Where the consumer notes the offsets it handed out, so that it tells a redelivery (the
  // same offset again after a restart) from a replay (the same bytes at a new offset).
  std::string read_marks_path;
};

struct RdKafkaDeleter {
  void operator()(rd_kafka_t* rk) const;
};
using RdKafkaHandle = std::unique_ptr<rd_kafka_t, RdKafkaDeleter>;

class KafkaRequestSource : public RequestSource {
 public:
  explicit KafkaRequestSource(KafkaBusSettings settings) : settings_(std::move(settings)) {}
  ~KafkaRequestSource() override;
  [[nodiscard]] bool open(std::string* error) override;
  [[nodiscard]] bool read(std::vector<BusDelivery>* out, std::chrono::milliseconds wait, std::string* error) override;
  [[nodiscard]] bool ack(const BusDelivery& delivery, std::string* error) override;
  std::string describe() const override;

  // Called by librdkafka's rebalance callback.
  void rebalance(rd_kafka_resp_err_t event, rd_kafka_topic_partition_list_t* partitions);

 private:
  void load_read_marks();
  bool note_read(std::int32_t partition, std::int64_t offset);  // true: read before
  void commit_new_group_positions();

  KafkaBusSettings settings_;
  RdKafkaHandle consumer_;
  std::map<std::int32_t, std::int64_t> read_marks_;  // partition -> highest offset handed out
  std::vector<std::pair<std::int32_t, std::int64_t>> to_commit_;  // a new group's starting positions
};

// Produces answers to a topic; shared by the agent's threads. Each send waits for the
// broker's acknowledgement (acks=all), so an answer reported sent is stored.
class KafkaAnswerWriter : public AnswerSink {
 public:
  explicit KafkaAnswerWriter(KafkaEndpoint endpoint) : endpoint_(std::move(endpoint)) {}
  [[nodiscard]] bool send(const std::string& topic, const nlohmann::json& answer, std::string* error) override;

 private:
  KafkaEndpoint endpoint_;
  std::mutex mutex_;
  RdKafkaHandle producer_;
};

// A producer for one message with headers, waiting for its acknowledgement (`request`).
[[nodiscard]] bool kafka_produce(const KafkaEndpoint& endpoint, const std::string& topic, const BusMessage& message,
                                 std::string* error);

// Reads a topic from its current end without a group (`request --wait`): start() notes the
// end of every partition, next() returns what arrives after it.
class KafkaTopicFollower {
 public:
  KafkaTopicFollower(KafkaEndpoint endpoint, std::string topic)
      : endpoint_(std::move(endpoint)), topic_(std::move(topic)) {}
  [[nodiscard]] bool start(std::string* error);
  [[nodiscard]] bool next(std::vector<std::string>* values, std::chrono::milliseconds wait, std::string* error);

 private:
  KafkaEndpoint endpoint_;
  std::string topic_;
  RdKafkaHandle consumer_;
};

}  // namespace pcap_ring
