// Requests and answers on Redis. Requests come from a stream read by a consumer group named
// after the node, so every node gets its own copy and an entry read but not acknowledged
// (the agent died before recording it) is delivered again after a restart; for pcapdaemon's
// senders they also come from a pub/sub channel (fire and forget, nothing is redelivered).
// Answers are appended to a stream.
//
// A stream entry carries the body and, when signed, its signature in separate fields:
// body, kid, alg, sig. A pub/sub message is the body itself (pcapdaemon's JSON), or, signed,
// one line "PCSIG1 KID ALG SIG" followed by the body.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/redis_connection.h"
#include "agent/request_admission.h"
#include "agent/request_bus.h"

namespace pcap_ring {

struct RedisBusSettings {
  std::string host;
  std::uint16_t port = 6379;
  std::string user;
  std::string password;
  std::chrono::milliseconds timeout{5000};
  TlsClientSettings tls;
  std::string request_stream;
  std::string group;  // the node's name: one consumer group per node
  std::string channel;
};

// One entry of an XREAD or XREADGROUP reply: its id and its field/value pairs.
struct StreamEntry {
  std::string id;
  std::vector<std::pair<std::string, std::string>> fields;
};
// The entries of the first stream of such a reply (none for nil or another shape).
std::vector<StreamEntry> stream_read_entries(const RedisReply& reply);

// The stream entry fields of a message (for senders and tests).
std::vector<std::string> stream_entry_fields(const BusMessage& message);
// A pub/sub payload: the envelope line when signed, then the body. And back.
std::string channel_payload(const BusMessage& message);
BusMessage parse_channel_payload(std::string_view payload);

class RedisRequestStream : public RequestSource {
 public:
  explicit RedisRequestStream(RedisBusSettings settings) : settings_(std::move(settings)) {}
  // Connects and creates the group (at the stream's end: a new node does not act on old
  // requests) when it does not exist yet.
  [[nodiscard]] bool open(std::string* error) override;
  // First this consumer's pending entries, then new ones, waiting up to `block`.
  [[nodiscard]] bool read(std::vector<BusDelivery>* out, std::chrono::milliseconds block, std::string* error) override;
  [[nodiscard]] bool ack(const BusDelivery& delivery, std::string* error) override;
  std::string describe() const override;

 private:
  RedisBusSettings settings_;
  RedisConnection connection_;
  bool pending_done_ = false;
};

class RedisChannelListener {
 public:
  explicit RedisChannelListener(RedisBusSettings settings) : settings_(std::move(settings)) {}
  [[nodiscard]] bool open(std::string* error);
  // The next message, or nothing within the timeout (*out empty).
  [[nodiscard]] bool next(std::vector<BusDelivery>* out, std::string* error);

 private:
  RedisBusSettings settings_;
  RedisConnection connection_;
};

// Appends answers to streams; shared by the agent's threads.
class RedisAnswerWriter : public AnswerSink {
 public:
  explicit RedisAnswerWriter(RedisBusSettings settings) : settings_(std::move(settings)) {}
  [[nodiscard]] bool send(const std::string& stream, const nlohmann::json& answer, std::string* error) override;

 private:
  RedisBusSettings settings_;
  std::mutex mutex_;
  RedisConnection connection_;
};

}  // namespace pcap_ring
