#include "cli/request_command.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>

#include "agent/agent_request.h"
#include "agent/kafka_request_bus.h"
#include "agent/redis_connection.h"
#include "agent/redis_request_bus.h"
#include "agent/sqs_request_bus.h"
#include "agent/request_keys.h"
#include "agent/request_signature.h"
#include "service/bus_endpoints.h"
#include "cli/agent_command.h"
#include "common/exit_codes.h"
#include "common/safe_open.h"
#include "common/unique_fd.h"
#include "extract/time_window.h"

namespace pcap_ring {
namespace {

struct RequestArgs {
  std::string node;
  std::string nodere;
  std::vector<std::string> interfaces;
  std::string from, to, last;
  std::string filter;
  std::uint64_t max_packets = 0;
  std::uint64_t max_bytes = 0;
  std::uint32_t snaplen = 0;
  std::string id;
  std::vector<std::string> tags;
  std::string alertid;
  std::string customer;
  std::string reply_to;
  std::string key_file;
  std::string key_id;
  bool unsigned_request = false;
  unsigned wait_seconds = 0;
  unsigned expect = 0;
  bool json = false;
  std::string message_file;  // a whole request as JSON ("-": standard input)
};

std::string new_request_id() {
  std::random_device device;
  char suffix[9];
  std::snprintf(suffix, sizeof suffix, "%08x", device());
  return "req-" + std::to_string(SystemClock().now() / kNanosPerSecond) + "-" + suffix;
}

std::string request_body(const RequestArgs& a, const std::string& id, const TimeWindow& window) {
  nlohmann::ordered_json body;
  body["v"] = 1;
  body["id"] = id;
  if (!a.nodere.empty()) body["nodere"] = a.nodere;
  else body["node"] = a.node;
  body["interface"] = a.interfaces;
  body["from"] = format_rfc3339_ns(window.from);
  body["to"] = format_rfc3339_ns(window.to);
  body["ts"] = format_rfc3339_ns(SystemClock().now());
  if (!a.filter.empty()) body["bpf"] = a.filter;
  if (a.max_packets) body["packets"] = a.max_packets;
  if (a.max_bytes) body["bytes"] = a.max_bytes;
  if (a.snaplen) body["snap"] = a.snaplen;
  if (!a.tags.empty()) body["tags"] = a.tags;
  if (!a.alertid.empty()) body["alertid"] = a.alertid;
  if (!a.customer.empty()) body["customer"] = a.customer;
  if (!a.reply_to.empty()) body["reply_to"] = a.reply_to;
  return body.dump();
}

// A request written as JSON (a pcapdaemon message, say): sent as written, with an `id` when it
// has none and `ts` set to now (a signed request must be fresh). Checked as the agents will
// check it, with the default limits, so that a bad message fails here with its field named.
std::string message_body(const std::string& path, std::string* id) {
  std::string text;
  if (path == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else if (int err = read_regular_file(path, &text)) {
    throw StartupError(kExitDataErr, "--message " + path + ": cannot read: " + errno_text(err));
  }
  nlohmann::ordered_json body = nlohmann::ordered_json::parse(text, nullptr, false);
  if (!body.is_object()) throw StartupError(kExitDataErr, "--message " + path + ": not a JSON object");
  if (!body.contains("id")) body["id"] = new_request_id();
  body["ts"] = format_rfc3339_ns(SystemClock().now());
  std::string serialized = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  AgentRequest request;
  std::string error;
  if (!parse_agent_request(serialized, AgentRequestLimits{}, &request, &error))
    throw StartupError(kExitDataErr, "--message " + path + ": " + error);
  *id = request.id;
  return serialized;
}

BusMessage signed_message(const RequestArgs& a, std::string body) {
  BusMessage message;
  message.body = std::move(body);
  if (a.unsigned_request) return message;
  std::string content;
  if (int err = read_regular_file(a.key_file, &content))
    throw ConfigError("--key " + a.key_file + ": cannot read: " + errno_text(err));
  std::string name = a.key_file.substr(a.key_file.find_last_of('/') + 1);
  const bool hmac = name.size() > 5 && name.compare(name.size() - 5, 5, ".hmac") == 0;
  const bool ed25519 = name.size() > 4 && name.compare(name.size() - 4, 4, ".key") == 0;
  if (!hmac && !ed25519) throw UsageError("--key " + a.key_file + ": expected KID.key (Ed25519) or KID.hmac");
  message.key_id = a.key_id.empty() ? name.substr(0, name.rfind('.')) : a.key_id;
  if (!valid_key_id(message.key_id))
    throw UsageError("key id '" + message.key_id + "' is not " + std::string(kKeyIdRule));
  std::string error;
  message.algorithm = hmac ? "hmac-sha256" : "ed25519";
  const bool ok = hmac ? sign_request_hmac(content, message.key_id, message.body, &message.signature, &error)
                       : sign_request_ed25519(content, message.key_id, message.body, &message.signature, &error);
  if (!ok) throw ConfigError("--key " + a.key_file + ": " + error);
  return message;
}

// The fields printed, with the types the agent writes them with.
bool well_formed_answer(const nlohmann::json& a) {
  if (!a.is_object()) return false;
  for (const char* key : {"id", "node", "interface", "state", "result", "reason"})
    if (a.contains(key) && !a[key].is_string()) return false;
  for (const char* key : {"packets", "bytes"})
    if (a.contains(key) && !a[key].is_number_unsigned()) return false;
  return a.contains("id") && a.contains("state");
}

bool final_state(const std::string& state) {
  return state == "done" || state == "partial" || state == "failed" || state == "rejected" || state == "busy";
}

// Prints the answers to one request as they come and counts the final ones.
class AnswerPrinter {
 public:
  AnswerPrinter(const RequestArgs& args, std::string id) : args_(args), id_(std::move(id)) {}

  void take(const std::string& value) {
    // Anyone who may write to the answer stream or topic can write here: a message that is
    // not an answer of the expected shape is skipped, never trusted to be well typed.
    nlohmann::json answer = nlohmann::json::parse(value, nullptr, false);
    if (!well_formed_answer(answer) || answer["id"] != id_) return;
    const std::string state = answer.value("state", "");
    if (final_state(state)) {
      ++finals_;
      all_good_ &= state == "done" || state == "partial";
    }
    if (args_.json) {
      std::cout << answer.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
      return;
    }
    std::cout << answer.value("node", "?") << "  " << answer.value("interface", "-") << "  " << state;
    if (answer.contains("packets")) std::cout << "  " << answer.value("packets", std::uint64_t{0}) << " packets";
    if (answer.contains("bytes")) std::cout << "  " << answer.value("bytes", std::uint64_t{0}) << " bytes";
    if (answer.contains("result")) std::cout << "  " << answer.value("result", "");
    if (answer.contains("reason")) std::cout << "  (" << answer.value("reason", "") << ")";
    std::cout << std::endl;
  }
  const std::string& id() const { return id_; }
  bool enough() const { return args_.expect != 0 && finals_ >= args_.expect; }

  int exit_status() const {
    if (args_.expect != 0 && finals_ < args_.expect) {
      std::cerr << "request " << id_ << ": " << finals_ << " of " << args_.expect << " final answers within "
                << args_.wait_seconds << " s\n";
      return kExitTempFail;
    }
    return finals_ > 0 && all_good_ ? kExitOk : kExitFailure;
  }

 private:
  const RequestArgs& args_;
  const std::string id_;
  unsigned finals_ = 0;
  bool all_good_ = true;
};

std::chrono::milliseconds time_left(std::chrono::steady_clock::time_point deadline) {
  return std::max(std::chrono::milliseconds(1), std::chrono::duration_cast<std::chrono::milliseconds>(
                                                    deadline - std::chrono::steady_clock::now()));
}

int send_on_redis(const RequestArgs& a, const AgentSettings& settings, const BusMessage& message, AnswerPrinter* printer) {
  RedisConnection redis;
  std::string error;
  const auto timeout = std::chrono::seconds(settings.redis_timeout_seconds);
  if (!redis.connect(settings.redis_host, static_cast<std::uint16_t>(settings.redis_port), timeout, settings.redis_user,
                     redis_password(settings), settings.redis_tls, &error))
    throw StartupError(kExitUnavailable, error);
  std::vector<std::string> command = {"XADD", settings.request_stream, "*"};
  for (auto& field : stream_entry_fields(message)) command.push_back(std::move(field));
  RedisReply reply;
  if (!redis.command(command, &reply, &error)) throw StartupError(kExitUnavailable, error);
  if (reply.is_error()) throw StartupError(kExitUnavailable, "XADD " + settings.request_stream + ": " + reply.text);
  const std::string entry = reply.text;
  std::cerr << "request " << printer->id() << " sent to " << settings.request_stream << " (entry " << entry << ")\n";
  if (a.wait_seconds == 0) return kExitOk;

  // Answers come after the request, so their entry ids are not older than its own.
  const std::string reply_stream = a.reply_to.empty() ? settings.reply_stream : a.reply_to;
  std::string cursor = entry.substr(0, entry.find('-')) + "-0";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(a.wait_seconds);
  if (!redis.set_timeout(std::chrono::seconds(a.wait_seconds) + timeout))
    throw StartupError(kExitUnavailable, "cannot set the Redis timeout");
  while (std::chrono::steady_clock::now() < deadline && !printer->enough()) {
    if (!redis.command({"XREAD", "COUNT", "100", "BLOCK", std::to_string(time_left(deadline).count()), "STREAMS",
                        reply_stream, cursor},
                       &reply, &error))
      throw StartupError(kExitUnavailable, error);
    if (reply.is_error()) throw StartupError(kExitUnavailable, "XREAD " + reply_stream + ": " + reply.text);
    for (const StreamEntry& answer_entry : stream_read_entries(reply)) {
      cursor = answer_entry.id;
      for (const auto& [name, value] : answer_entry.fields)
        if (name == "answer") printer->take(value);
    }
  }
  return printer->exit_status();
}

int send_on_kafka(const RequestArgs& a, const AgentSettings& settings, const BusMessage& message, AnswerPrinter* printer) {
  const std::string reply_topic = a.reply_to.empty() ? settings.kafka_reply_topic : a.reply_to;
  std::string error;
  // The answer topic's end is noted before the request goes out, so no answer is missed.
  KafkaTopicFollower answers(kafka_endpoint(settings), reply_topic);
  if (a.wait_seconds != 0 && !answers.start(&error)) throw StartupError(kExitUnavailable, error);
  if (!kafka_produce(kafka_endpoint(settings), settings.kafka_topic, message, &error))
    throw StartupError(kExitUnavailable, error);
  std::cerr << "request " << printer->id() << " sent to Kafka topic " << settings.kafka_topic << "\n";
  if (a.wait_seconds == 0) return kExitOk;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(a.wait_seconds);
  while (std::chrono::steady_clock::now() < deadline && !printer->enough()) {
    std::vector<std::string> values;
    if (!answers.next(&values, std::min<std::chrono::milliseconds>(time_left(deadline), std::chrono::milliseconds(500)),
                      &error))
      throw StartupError(kExitUnavailable, error);
    for (const auto& value : values) printer->take(value);
  }
  return printer->exit_status();
}

int send_on_sqs(const RequestArgs& a, const AgentSettings& settings, const BusMessage& message, AnswerPrinter* printer) {
  SqsBusSettings sqs;
  sqs.region = settings.sqs_region;
  sqs.queue_url = settings.sqs_queue_url;
  sqs.topic_arn = settings.sqs_topic_arn;
  sqs.sns_endpoint = settings.sqs_sns_endpoint;
  sqs.credentials = sqs_credentials(settings);
  if (sqs.topic_arn.empty() && sqs.queue_url.empty())
    throw ConfigError("bus = sqs needs topic_arn (the fleet's SNS topic) or queue_url in [sqs]");
  const std::string reply_queue = a.reply_to.empty() ? settings.sqs_reply_queue_url : a.reply_to;
  if (a.wait_seconds != 0 && reply_queue.empty())
    throw ConfigError("--wait on SQS needs reply_queue_url in [sqs] (or --reply-to)");
  std::string error;
  if (!sqs_send_request(sqs, message, &error)) throw StartupError(kExitUnavailable, error);
  std::cerr << "request " << printer->id() << " sent to "
            << (sqs.topic_arn.empty() ? "SQS queue " + sqs.queue_url : "SNS topic " + sqs.topic_arn) << "\n";
  if (a.wait_seconds == 0) return kExitOk;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(a.wait_seconds);
  while (std::chrono::steady_clock::now() < deadline && !printer->enough()) {
    const auto left = std::chrono::duration_cast<std::chrono::seconds>(time_left(deadline));
    auto take = [&](const std::string& value) {
      nlohmann::json answer = nlohmann::json::parse(value, nullptr, false);
      if (!well_formed_answer(answer) || answer["id"] != printer->id()) return false;  // another sender's
      printer->take(value);
      return true;
    };
    if (!sqs_receive_answers(sqs, reply_queue, std::min(left, std::chrono::seconds(5)), take, &error))
      throw StartupError(kExitUnavailable, error);
  }
  return printer->exit_status();
}

int run_request(const RequestArgs& a, const StageCommandLine& line) {
  if (a.key_file.empty() != a.unsigned_request)
    throw UsageError("request needs --key KID.key|KID.hmac (or --unsigned for an agent that allows it)");
  std::string id, body;
  if (!a.message_file.empty()) {
    if (!a.node.empty() || !a.nodere.empty() || !a.interfaces.empty() || !a.from.empty() || !a.to.empty() ||
        !a.last.empty() || !a.filter.empty() || !a.id.empty() || !a.reply_to.empty())
      throw UsageError("--message holds the whole request: no --node, --nodere, -i, --from, --to, --last, --filter, "
                       "--id or --reply-to with it");
    body = message_body(a.message_file, &id);
  } else {
    if (a.node.empty() == a.nodere.empty()) throw UsageError("request needs exactly one of --node and --nodere");
    if (a.interfaces.empty()) throw UsageError("request needs -i IFACE (or --message FILE)");
    const TimeWindow window = make_time_window(a.from, a.to, a.last, SystemClock().now());
    id = a.id.empty() ? new_request_id() : a.id;
    body = request_body(a, id, window);
  }
  AgentSettings settings = load_agent_settings(line);
  const BusMessage message = signed_message(a, body);
  AnswerPrinter printer(a, id);
  if (settings.bus == "kafka") return send_on_kafka(a, settings, message, &printer);
  if (settings.bus == "sqs") return send_on_sqs(a, settings, message, &printer);
  return send_on_redis(a, settings, message, &printer);
}

}  // namespace

Subcommand add_request_command(CLI::App& app) {
  auto a = std::make_shared<RequestArgs>();
  CLI::App* cmd = app.add_subcommand("request", "Sign a capture request and send it to the agents on the Redis, Kafka or SQS bus");
  auto target = cmd->add_option_group("target", "Which nodes");
  target->add_option("--node", a->node, "The node that answers (\"any\": every node)");
  target->add_option("--nodere", a->nodere, "Nodes whose whole name matches this POSIX extended regex");
  cmd->add_option("-i,--interface", a->interfaces, "Interface to cut from (repeat for several)");
  cmd->add_option("--message", a->message_file,
                  "Send this JSON request (a pcapdaemon message, say; '-': standard input) instead of one made from "
                  "flags; an id is added when it has none, ts is set to now");
  cmd->add_option("--from", a->from, "Window start: RFC 3339 or Unix seconds");
  cmd->add_option("--to", a->to, "Window end (may be in the future: the agent follows the ring)");
  cmd->add_option("--last", a->last, "Window of the last N s/m/h instead of --from/--to");
  cmd->add_option("-f,--filter", a->filter, "pcap-filter expression");
  cmd->add_option("--max-packets", a->max_packets, "At most this many packets per interface");
  cmd->add_option("--max-bytes", a->max_bytes, "At most this many bytes per interface");
  cmd->add_option("--snaplen", a->snaplen, "Cut packets to this many bytes");
  cmd->add_option("--id", a->id, "Request id (default: req-UNIXTIME-RANDOM)");
  cmd->add_option("--tag", a->tags, "Tag carried into the manifests (repeat for several)");
  cmd->add_option("--alertid", a->alertid, "Alert id carried into the manifests");
  cmd->add_option("--customer", a->customer, "Customer carried into the manifests");
  cmd->add_option("--reply-to", a->reply_to, "Answer stream or topic: the configured one or one below it (KEY:NAME, TOPIC.NAME)");
  cmd->add_option("--key", a->key_file, "Signing key: KID.key (Ed25519, from keygen) or KID.hmac");
  cmd->add_option("--key-id", a->key_id, "Key id (default: the key file's name without its extension)");
  cmd->add_flag("--unsigned", a->unsigned_request, "Send unsigned (only agents with allow_unsigned accept it)");
  cmd->add_option("--wait", a->wait_seconds, "Print the answers that come within this many seconds");
  cmd->add_option("--expect", a->expect, "With --wait: stop after this many final answers (nodes x interfaces)");
  cmd->add_flag("--json", a->json, "Print each answer as one JSON line");
  // The bus: `bus`, [redis] and [kafka] rows only (--node here names the target, not this host).
  std::vector<const SettingSpec*> bus_rows;
  for (const SettingSpec* row : settings_for<AgentSettings>())
    if (row->section == "redis" || row->section == "kafka" || row->section == "sqs" || row->name == "bus")
      bus_rows.push_back(row);
  auto line = add_stage_flags(cmd, bus_rows, "Directory of packet-capture.conf and agent.conf ([redis], [kafka], [sqs])",
                              /*config_dir_first=*/false, /*with_file=*/false);
  cmd->footer(
      "Exit status: 0 every final answer done or partial, 1 some failed, rejected or busy (or none came),\n"
      "75 fewer than --expect final answers within --wait, 69 bus unreachable, 64 bad flags, 78 bad key or settings.");
  return {cmd, [a, line] { return run_request(*a, *line); }};
}

}  // namespace pcap_ring
