#include "agent/redis_request_bus.h"

#include <sstream>

namespace pcap_ring {
namespace {

constexpr std::string_view kEnvelope = "PCSIG1 ";
// Answers kept per stream: enough for any sender waiting on them, bounded for the server.
constexpr const char* kAnswersKept = "100000";

bool connect_with(const RedisBusSettings& s, RedisConnection* c, std::string* error) {
  return c->connect(s.host, s.port, s.timeout, s.user, s.password, s.tls, error);
}

// Entries without a body are answered by no one.
void collect_entries(const RedisReply& reply, bool redelivered, std::vector<BusDelivery>* out) {
  for (const StreamEntry& entry : stream_read_entries(reply)) {
    BusDelivery d;
    d.entry_id = entry.id;
    d.redelivered = redelivered;
    for (const auto& [name, value] : entry.fields) {
      if (name == "body") d.message.body = value;
      else if (name == "kid") d.message.key_id = value;
      else if (name == "alg") d.message.algorithm = value;
      else if (name == "sig") d.message.signature = value;
    }
    out->push_back(std::move(d));
  }
}

}  // namespace

std::vector<StreamEntry> stream_read_entries(const RedisReply& reply) {
  // [[stream, [[id, [field, value, ...]], ...]], ...]
  std::vector<StreamEntry> entries;
  if (reply.type != RedisReply::Type::kArray || reply.elements.empty() || reply.elements[0].elements.size() != 2)
    return entries;
  for (const auto& entry : reply.elements[0].elements[1].elements) {
    if (entry.type != RedisReply::Type::kArray || entry.elements.size() != 2) continue;
    StreamEntry e;
    e.id = entry.elements[0].text;
    const auto& fields = entry.elements[1].elements;  // nil for an entry deleted since
    for (std::size_t i = 0; i + 1 < fields.size(); i += 2) e.fields.emplace_back(fields[i].text, fields[i + 1].text);
    entries.push_back(std::move(e));
  }
  return entries;
}

std::vector<std::string> stream_entry_fields(const BusMessage& m) {
  std::vector<std::string> fields = {"body", m.body};
  if (!m.key_id.empty() || !m.signature.empty()) {
    fields.insert(fields.end(), {"kid", m.key_id, "alg", m.algorithm, "sig", m.signature});
  }
  return fields;
}

std::string channel_payload(const BusMessage& m) {
  if (m.key_id.empty() && m.signature.empty()) return m.body;
  return std::string(kEnvelope) + m.key_id + " " + m.algorithm + " " + m.signature + "\n" + m.body;
}

BusMessage parse_channel_payload(std::string_view payload) {
  BusMessage m;
  if (payload.substr(0, kEnvelope.size()) != kEnvelope) {
    m.body = std::string(payload);
    return m;
  }
  std::size_t newline = payload.find('\n');
  std::string line(payload.substr(kEnvelope.size(), newline == std::string_view::npos ? std::string_view::npos
                                                                                       : newline - kEnvelope.size()));
  std::istringstream words(line);
  std::string extra;
  words >> m.key_id >> m.algorithm >> m.signature >> extra;
  // A malformed envelope (missing or extra words, no body line) keeps a marker the admission
  // refuses (an unknown algorithm).
  if (m.key_id.empty() || m.algorithm.empty() || m.signature.empty() || !extra.empty() ||
      newline == std::string_view::npos)
    m.algorithm = "malformed-envelope";
  m.body = newline == std::string_view::npos ? std::string() : std::string(payload.substr(newline + 1));
  return m;
}

bool RedisRequestStream::open(std::string* error) {
  pending_done_ = false;
  if (!connect_with(settings_, &connection_, error)) return false;
  RedisReply reply;
  if (!connection_.command({"XGROUP", "CREATE", settings_.request_stream, settings_.group, "$", "MKSTREAM"}, &reply, error))
    return false;
  if (reply.is_error() && reply.text.rfind("BUSYGROUP", 0) != 0) {
    *error = "redis: cannot create consumer group '" + settings_.group + "' on '" + settings_.request_stream +
             "': " + reply.text;
    return false;
  }
  return true;
}

bool RedisRequestStream::read(std::vector<BusDelivery>* out, std::chrono::milliseconds block, std::string* error) {
  out->clear();
  RedisReply reply;
  if (!pending_done_) {
    if (!connection_.command({"XREADGROUP", "GROUP", settings_.group, settings_.group, "COUNT", "100", "STREAMS",
                              settings_.request_stream, "0"},
                             &reply, error))
      return false;
    if (reply.is_error()) {
      *error = "redis: XREADGROUP: " + reply.text;
      return false;
    }
    collect_entries(reply, true, out);
    if (!out->empty()) return true;
    pending_done_ = true;
  }
  // The socket waits a little longer than the server blocks.
  if (!connection_.set_timeout(block + settings_.timeout)) {
    *error = "redis: cannot set the socket timeout";
    return false;
  }
  bool ok = connection_.command({"XREADGROUP", "GROUP", settings_.group, settings_.group, "COUNT", "16", "BLOCK",
                                 std::to_string(block.count()), "STREAMS", settings_.request_stream, ">"},
                                &reply, error);
  if (ok && !connection_.set_timeout(settings_.timeout)) ok = false;
  if (!ok) return false;
  if (reply.is_error()) {
    *error = "redis: XREADGROUP: " + reply.text;
    return false;
  }
  collect_entries(reply, false, out);
  return true;
}

bool RedisRequestStream::ack(const BusDelivery& delivery, std::string* error) {
  RedisReply reply;
  if (!connection_.command({"XACK", settings_.request_stream, settings_.group, delivery.entry_id}, &reply, error))
    return false;
  if (reply.is_error()) {
    *error = "redis: XACK: " + reply.text;
    return false;
  }
  return true;
}

std::string RedisRequestStream::describe() const {
  return "stream " + settings_.request_stream + " as group " + settings_.group + " at " + settings_.host + ":" +
         std::to_string(settings_.port);
}

bool RedisChannelListener::open(std::string* error) {
  if (!connect_with(settings_, &connection_, error)) return false;
  RedisReply reply;
  if (!connection_.command({"SUBSCRIBE", settings_.channel}, &reply, error)) return false;
  if (reply.is_error()) {
    *error = "redis: SUBSCRIBE " + settings_.channel + ": " + reply.text;
    return false;
  }
  return true;
}

bool RedisChannelListener::next(std::vector<BusDelivery>* out, std::string* error) {
  out->clear();
  RedisReply push;
  bool timed_out = false;
  if (!connection_.next_push(&push, &timed_out, error)) return false;
  if (timed_out) return true;
  if (push.type == RedisReply::Type::kArray && push.elements.size() == 3 && push.elements[0].text == "message") {
    BusDelivery d;
    d.message = parse_channel_payload(push.elements[2].text);
    out->push_back(std::move(d));
  }
  return true;
}

bool RedisAnswerWriter::send(const std::string& stream, const nlohmann::json& answer, std::string* error) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!connection_.connected() && !connect_with(settings_, &connection_, error)) continue;
    RedisReply reply;
    if (!connection_.command({"XADD", stream, "MAXLEN", "~", kAnswersKept, "*", "answer",
                              answer.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)},
                             &reply, error))
      continue;  // reconnect once
    if (reply.is_error()) {
      *error = "redis: XADD " + stream + ": " + reply.text;
      return false;
    }
    return true;
  }
  return false;
}

}  // namespace pcap_ring
