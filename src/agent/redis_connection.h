// One connection to a Redis server (hiredis, synchronous): commands as argument vectors, so no
// value is ever interpolated into a command line, and replies copied into plain values, so
// no hiredis type leaves this file. hiredis 0.14 (Debian 12) speaks RESP2 over plain TCP only:
// with TLS it is given the local end of a TlsRelay.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "agent/tls_relay.h"

namespace pcap_ring {

struct RedisReply {
  enum class Type { kNil, kString, kStatus, kError, kInteger, kArray };
  Type type = Type::kNil;
  std::string text;  // string, status or error
  long long integer = 0;
  std::vector<RedisReply> elements;

  bool is_error() const { return type == Type::kError; }
  bool is_nil() const { return type == Type::kNil; }
};

class RedisConnection {
 public:
  RedisConnection();
  ~RedisConnection();
  RedisConnection(RedisConnection&&) noexcept;
  RedisConnection& operator=(RedisConnection&&) noexcept;

  // Connects (over TLS when tls.enabled) and, when `password` is given, authenticates (AUTH
  // user password, or AUTH password for the default user). False with *error naming the
  // server and what failed.
  [[nodiscard]] bool connect(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout,
                             const std::string& user, const std::string& password, const TlsClientSettings& tls,
                             std::string* error);
  // Sends one command and reads its reply. False with *error when the connection failed (it
  // is then closed); a Redis error reply is a reply (type kError), not a failure.
  [[nodiscard]] bool command(const std::vector<std::string>& args, RedisReply* reply, std::string* error);
  // For a subscribed connection: the next pushed message. False with *error on a failure;
  // *timed_out when nothing came within the connection's timeout.
  [[nodiscard]] bool next_push(RedisReply* reply, bool* timed_out, std::string* error);
  // The time a command may block the socket, such as XREADGROUP BLOCK.
  [[nodiscard]] bool set_timeout(std::chrono::milliseconds timeout);
  bool connected() const;
  void close();

 private:
  struct Context;
  std::unique_ptr<Context> context_;
  std::string where_;  // "redis HOST:PORT"
};

}  // namespace pcap_ring
