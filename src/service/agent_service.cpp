#include "service/agent_service.h"

#include <fcntl.h>
#include <net/if.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "agent/kafka_request_bus.h"
#include "agent/redis_request_bus.h"
#include "service/bus_endpoints.h"
#include "agent/sqs_request_bus.h"
#include "agent/request_journal.h"
#include "agent/request_result.h"
#include "agent/seen_requests.h"
#include "common/exit_codes.h"
#include "common/log.h"
#include "common/thread_name.h"
#include "common/unique_fd.h"
#include "ring/ring_directory_trust.h"
#include "service/notifier.h"
#include "service/on_demand_capture.h"
#include "stages/cloudshark_stage.h"
#include "stages/s3_checksum.h"
#include "stages/s3_stage.h"

namespace pcap_ring {
namespace {

constexpr NanoTime kKeepAnsweredEntries = 7 * 24 * 3600 * kNanosPerSecond;
constexpr auto kReconnectPause = std::chrono::seconds(1);
constexpr auto kBusWait = std::chrono::milliseconds(1000);
constexpr auto kResendInterval = std::chrono::seconds(10);

NanoTime wall_now() { return SystemClock().now(); }

struct InterfaceWork {
  std::string name;
  std::vector<CatalogRing> rings;
  bool on_demand = false;  // no ring: the agent captures the live window itself
};

struct Job {
  JournalEntry entry;
  AgentRequest request;
  std::string destination;  // "directory" or "s3"
  std::vector<InterfaceWork> interfaces;
};

std::string join_names(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& name : names) text += (text.empty() ? "" : ", ") + name;
  return text;
}

AdmissionPolicy admission_policy(const AgentSettings& s) {
  AdmissionPolicy policy;
  policy.limits.max_packets = s.max_packets;
  policy.limits.max_bytes = s.max_bytes;
  policy.limits.max_duration_seconds = static_cast<std::int64_t>(s.max_duration_seconds);
  policy.limits.max_timeout_seconds = static_cast<std::int64_t>(s.max_timeout_seconds);
  policy.allow_unsigned = s.allow_unsigned;
  policy.max_skew = static_cast<NanoTime>(s.max_skew_seconds) * kNanosPerSecond;
  return policy;
}

// A reply stream a request may name: the configured one, or one below it ("pcap:ack:team-a" on
// Redis, "pcap.ack.team-a" on Kafka), so a sender cannot make the agent write anywhere else.
bool allowed_reply_stream(const std::string& name, const std::string& configured, char separator) {
  if (name == configured) return true;
  if (name.size() <= configured.size() + 1 || name.compare(0, configured.size(), configured) != 0 ||
      name[configured.size()] != separator)
    return false;
  if (name.size() > configured.size() + 65) return false;
  return std::all_of(name.begin() + static_cast<std::ptrdiff_t>(configured.size()) + 1, name.end(), [separator](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-' || (c == ':' && separator == ':');
  });
}

class Agent {
 public:
  Agent(const AgentSettings& settings, const AgentIdentity& identity, TrustedKeys keys,
        const AgentDestinations& destinations, const RingLocator& locate, const std::atomic<bool>& stop)
      : settings_(settings),
        identity_(identity),
        keys_(std::move(keys)),
        destinations_(destinations),
        locate_(locate),
        stop_(stop),
        policy_(admission_policy(settings)),
        kafka_(settings.bus == "kafka"),
        sqs_(settings.bus == "sqs"),
        reply_root_(kafka_ ? settings.kafka_reply_topic : sqs_ ? settings.sqs_reply_queue_url : settings.reply_stream),
        answers_(answer_sink()) {}

  int run();

 private:
  RedisBusSettings bus_settings() const;
  std::unique_ptr<RequestSource> request_source() const;
  std::unique_ptr<AnswerSink> answer_sink() const;
  SqsBusSettings sqs_settings() const;
  void open_state();
  void resume();
  void handle(const BusDelivery& delivery, RequestSource* source);
  std::optional<std::string> prepare(const Admission& admission, const BusMessage& message, Job* job);
  std::optional<std::string> choose_destination(const AgentRequest& request, std::string* destination) const;
  std::optional<std::string> plan_job(Job* job) const;
  void reject(const std::string& id, const std::string& reason);
  void publish_to_s3(const std::string& relative, InterfaceResult* result, nlohmann::json* answer) const;
  void publish_to_cloudshark(const Job& job, const std::string& interface_name, InterfaceResult* result,
                             nlohmann::json* answer) const;
  void enqueue(Job job);
  void worker();
  void run_job(Job& job);
  bool send_answers(JournalEntry* entry);
  void resend_unsent_answers();
  void send(const std::string& stream, const nlohmann::json& answer);
  void channel_loop();
  std::string status_line();

  const AgentSettings& settings_;
  const AgentIdentity& identity_;
  const TrustedKeys keys_;
  const AgentDestinations& destinations_;
  const RingLocator& locate_;
  const std::atomic<bool>& stop_;
  const AdmissionPolicy policy_;
  const bool kafka_;
  const bool sqs_;
  const std::string reply_root_;  // answers go here, or below it
  std::unique_ptr<AnswerSink> answers_;
  Notifier notifier_;

  std::mutex admission_mutex_;  // seen ids and journal entries of new requests
  SeenRequests seen_;
  RequestJournal journal_;

  std::mutex queue_mutex_;
  std::condition_variable queue_changed_;
  std::deque<Job> queue_;
  std::size_t running_ = 0;
  std::set<std::string> in_flight_;  // ids a worker holds: their answers are its to send

  std::atomic<std::uint64_t> accepted_{0}, rejected_{0}, busy_{0}, done_{0}, partial_{0}, failed_{0};
  std::atomic<bool> unsent_answers_{false};
};

RedisBusSettings Agent::bus_settings() const {
  RedisBusSettings bus;
  bus.host = settings_.redis_host;
  bus.port = static_cast<std::uint16_t>(settings_.redis_port);
  bus.user = settings_.redis_user;
  bus.password = identity_.redis_password;
  bus.timeout = std::chrono::seconds(settings_.redis_timeout_seconds);
  bus.tls = settings_.redis_tls;
  bus.request_stream = settings_.request_stream;
  bus.group = identity_.node;
  bus.channel = settings_.channel;
  return bus;
}

SqsBusSettings Agent::sqs_settings() const {
  SqsBusSettings sqs;
  sqs.region = settings_.sqs_region;
  sqs.queue_url = settings_.sqs_queue_url;
  sqs.wait = std::chrono::seconds(settings_.sqs_wait_seconds);
  sqs.credentials = identity_.aws;
  return sqs;
}

std::unique_ptr<AnswerSink> Agent::answer_sink() const {
  if (kafka_)
    return std::make_unique<KafkaAnswerWriter>(kafka_endpoint(settings_));
  if (sqs_) return std::make_unique<SqsAnswerWriter>(sqs_settings());
  return std::make_unique<RedisAnswerWriter>(bus_settings());
}

std::unique_ptr<RequestSource> Agent::request_source() const {
  if (sqs_) return std::make_unique<SqsRequestSource>(sqs_settings());
  if (!kafka_) return std::make_unique<RedisRequestStream>(bus_settings());
  KafkaBusSettings kafka;
  kafka.endpoint = kafka_endpoint(settings_);
  kafka.topic = settings_.kafka_topic;
  kafka.group = identity_.node;
  kafka.read_marks_path = settings_.state_dir + "/kafka-read-" + settings_.kafka_topic;
  return std::make_unique<KafkaRequestSource>(std::move(kafka));
}

void Agent::open_state() {
  if (::mkdir(settings_.state_dir.c_str(), 0700) != 0 && errno != EEXIST)
    throw StartupError(kExitCantCreate, "cannot create the agent's state directory " + settings_.state_dir + ": " + errno_text(errno));
  // The agent acts on what it finds in these directories and writes results below them by
  // name: only root or its own user may be able to put entries there.
  if (::mkdir(settings_.results_dir.c_str(), 0750) != 0 && errno != EEXIST)
    throw StartupError(kExitCantCreate, "cannot create the results directory " + settings_.results_dir + ": " +
                                            errno_text(errno));
  for (const std::string* directory : {&settings_.state_dir, &settings_.results_dir}) {
    UniqueFd fd(::open(directory->c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid()) throw ConfigError("cannot open " + *directory + ": " + errno_text(errno));
    const std::string why = untrusted_ring_directory(fd.get());
    if (!why.empty()) throw ConfigError(*directory + " " + why);
  }
  const NanoTime now = wall_now();
  if (int err = seen_.open(settings_.state_dir + "/seen-requests", now))
    throw StartupError(kExitCantCreate, "cannot open " + settings_.state_dir + "/seen-requests: " + errno_text(err));
  if (seen_.dropped_lines() > 0)
    log::warning(settings_.state_dir + "/seen-requests: " + std::to_string(seen_.dropped_lines()) +
                 " lines did not parse and were dropped");
  if (int err = journal_.open(settings_.state_dir + "/journal"))
    throw StartupError(kExitCantCreate, "cannot open " + settings_.state_dir + "/journal: " + errno_text(err));
  journal_.prune(now, kKeepAnsweredEntries);
}

// What a request becomes on this node, at acceptance and again when resumed: its
// destination, its limits and the rings of its interfaces; or why it cannot be served.
std::optional<std::string> Agent::plan_job(Job* job) const {
  AgentRequest& request = job->request;
  if (auto reason = choose_destination(request, &job->destination)) return reason;
  if (!request.aliases.empty()) {
    // Aliases this node does not define are for other nodes (handle() ignores a request that
    // names none of them); those it defines stand for its interfaces.
    for (const std::string& alias : request.aliases) {
      auto it = settings_.aliases.find(alias);
      if (it == settings_.aliases.end()) continue;
      for (const std::string& name : it->second)
        if (std::find(request.interfaces.begin(), request.interfaces.end(), name) == request.interfaces.end())
          request.interfaces.push_back(name);
    }
    if (request.interfaces.empty()) return "alias: none of " + join_names(request.aliases) + " is an alias on this node";
  }
  // A request that sets no limit gets the configured maximum, so every result is bounded.
  if (!request.packets) request.packets = settings_.max_packets;
  if (!request.bytes) request.bytes = settings_.max_bytes;
  for (const std::string& name : request.interfaces) {
    std::string error;
    std::vector<CatalogRing> rings = locate_(name, &error);
    if (rings.empty() && settings_.on_demand && !request.from) {
      // Only a live request can be captured now; a window on the past needs a ring.
      if (name.size() >= IF_NAMESIZE || ::if_nametoindex(name.c_str()) == 0)
        return "interface " + name + ": no such interface on this node";
      job->interfaces.push_back({name, {}, true});
      continue;
    }
    if (rings.empty())
      return "interface " + name + ": " + (error.empty() ? "no ring on this node" : error) +
             (settings_.on_demand ? " (on_demand captures only live requests)" : "");
    job->interfaces.push_back({name, std::move(rings), false});
  }
  return std::nullopt;
}

// Resumes what a stop or a crash cut short: requests still running are extracted again into
// the same result paths, final answers not yet sent are sent.
void Agent::resume() {
  std::vector<std::string> problems;
  std::vector<JournalEntry> entries = journal_.entries(&problems);
  for (const auto& problem : problems) log::warning("request journal: " + problem + "; left alone");
  for (JournalEntry& entry : entries) {
    if (entry.state == JournalEntry::State::kFinal) {
      // After one failure the rest wait for the bus loop's retries: start-up must not wait
      // on an unreachable Redis once per entry.
      if (unsent_answers_) continue;
      send_answers(&entry);
      continue;
    }
    if (entry.state != JournalEntry::State::kRunning) continue;
    Job job;
    job.entry = entry;
    std::string error;
    if (parse_agent_request(entry.message.body, policy_.limits, &job.request, &error)) {
      if (auto reason = plan_job(&job)) error = *reason;
    }
    if (!error.empty()) {
      log::error("request " + entry.id + " cannot be resumed: " + error);
      entry.state = JournalEntry::State::kFinal;
      entry.answers = {{{"id", entry.id}, {"node", identity_.node}, {"state", "failed"},
                        {"reason", "cannot be resumed: " + error}}};
      if (int err = journal_.save(entry)) log::error("request journal: cannot record " + entry.id + ": " + errno_text(err));
      send_answers(&entry);
      continue;
    }
    log::notice("request " + entry.id + ": resumed after a restart");
    enqueue(std::move(job));
  }
}

void Agent::send(const std::string& stream, const nlohmann::json& answer) {
  std::string error;
  if (!answers_->send(stream, answer, &error)) log::warning("cannot send an answer to " + stream + ": " + error);
}

bool Agent::send_answers(JournalEntry* entry) {
  for (const auto& answer : entry->answers) {
    std::string error;
    if (!answers_->send(entry->reply_to, answer, &error)) {
      log::warning("request " + entry->id + ": cannot send its answer yet: " + error + "; sent when Redis is back");
      unsent_answers_ = true;
      return false;
    }
  }
  entry->state = JournalEntry::State::kAnswered;
  if (int err = journal_.save(*entry)) log::error("request journal: cannot record " + entry->id + ": " + errno_text(err));
  return true;
}

// Final answers a failed XADD left unsent (Redis away, out of memory...), except those of
// requests a worker holds: it sends them itself.
void Agent::resend_unsent_answers() {
  unsent_answers_ = false;
  std::vector<std::string> problems;
  for (JournalEntry& entry : journal_.entries(&problems)) {
    if (entry.state != JournalEntry::State::kFinal) continue;
    {
      std::lock_guard lock(queue_mutex_);
      if (in_flight_.count(entry.id) != 0) continue;
    }
    if (!send_answers(&entry)) return;
  }
}

// The request's destination, by name: the results directory always, S3 when [s3] names a
// bucket. pcapdaemon's S3 fields may only repeat what the configuration says: a message
// never chooses where packets go.
std::optional<std::string> Agent::choose_destination(const AgentRequest& request, std::string* destination) const {
  *destination = request.destination.empty() ? settings_.default_destination : request.destination;
  const bool s3 = destinations_.s3.has_value();
  const bool cloudshark = destinations_.cloudshark.has_value();
  if (*destination != "directory" && !(*destination == "s3" && s3) && !(*destination == "cloudshark" && cloudshark))
    return "destination: " + *destination + " is not configured on this node (allowed: directory" +
           (s3 ? ", s3" : "") + (cloudshark ? ", cloudshark" : "") + ")";
  if (*destination != "s3") {
    if (request.bucket || request.endpoint || request.acl || request.region || request.folder || request.encryption)
      return "bucket/endpoint/acl/region/folder/encryption: the " + *destination + " destination takes none of them";
    return std::nullopt;
  }
  const S3Settings& c = *destinations_.s3;
  auto differs = [](const std::optional<std::string>& asked, const std::string& configured) {
    return asked && *asked != configured;
  };
  if (differs(request.bucket, c.bucket)) return "bucket: " + *request.bucket + " is not the configured bucket";
  if (differs(request.endpoint, c.endpoint))
    return "endpoint: " + *request.endpoint + " is not the configured endpoint";
  if (differs(request.region, c.region)) return "region: " + *request.region + " is not the configured region";
  if (differs(request.folder, c.prefix)) return "folder: " + *request.folder + " is not the configured prefix";
  if (request.acl) return "acl: objects get the bucket's policy; a request cannot set one";
  if (request.encryption) return "encryption: set by the bucket's default encryption, not by a request";
  return std::nullopt;
}

// Uploads a finished result: the capture, then manifest.json, so that a collector that sees
// the manifest finds the capture. The keys depend only on the request and the window, so a
// request answered again after a crash rewrites the same objects.
void Agent::publish_to_s3(const std::string& relative, InterfaceResult* result, nlohmann::json* answer) const {
  const S3Settings& s3 = *destinations_.s3;
  // PREFIX/requests/...: the bucket may hold the hook stage's ring uploads beside them.
  const std::string key_prefix = (s3.prefix.empty() ? std::string() : s3.prefix + "/") + "requests/" + relative;
  for (const auto& [name, type] : {std::pair<std::string, std::string>{"capture.pcapng", "application/x-pcapng"},
                                   {"manifest.json", "application/json"}}) {
    StageOutcome outcome =
        upload_file_to_key(s3, destinations_.s3_credentials, result->directory + "/" + name, key_prefix + "/" + name, type);
    if (outcome.code != kExitOk) {
      result->state = "failed";
      (*answer)["state"] = "failed";
      (*answer)["reason"] = "s3: " + outcome.message;
      return;
    }
  }
  (*answer)["result"] = "s3://" + s3.bucket + "/" + key_prefix + "/";
}

// Uploads a finished result to CloudShark, tagged so that an analyst finds it by request,
// alert, customer or origin: the request's tags plus request:ID, node:NODE, interface:IFACE,
// alertid:…, customer:….
void Agent::publish_to_cloudshark(const Job& job, const std::string& interface_name, InterfaceResult* result,
                                  nlohmann::json* answer) const {
  const CloudSharkSettings& settings = *destinations_.cloudshark;
  const AgentRequest& request = job.request;
  std::string tags = "request:" + clean_tag(request.id) + ",node:" + clean_tag(identity_.node) +
                     ",interface:" + clean_tag(interface_name);
  if (!request.alertid.empty()) tags += ",alertid:" + clean_tag(request.alertid);
  if (!request.customer.empty()) tags += ",customer:" + clean_tag(request.customer);
  for (const auto& tag : request.tags) tags += "," + clean_tag(tag);
  for (const auto& tag : settings.tags) tags += "," + clean_tag(tag);
  CloudSharkClient client(settings.url, destinations_.cloudshark_token, http_options_of(settings));
  const std::string filename = request.id + "-" + identity_.node + "-" + interface_name + ".pcapng";
  HttpResponse response = client.upload(result->directory + "/capture.pcapng", filename, tags);
  std::optional<std::string> id = response.success() ? cloudshark_upload_id(response.body) : std::nullopt;
  if (!id) {
    result->state = "failed";
    (*answer)["state"] = "failed";
    (*answer)["reason"] = "cloudshark: " + (response.success() ? std::string("reply without a capture id")
                                                                : client.failure("upload", response).message);
    return;
  }
  (*answer)["result"] = settings.url + "/captures/" + *id;
  (*answer)["cloudshark_id"] = *id;
}

std::optional<std::string> Agent::prepare(const Admission& admission, const BusMessage& message, Job* job) {
  const AgentRequest& request = admission.request;
  const std::string reply_to = request.reply_to.empty() ? reply_root_ : request.reply_to;
  // SQS queues have no hierarchy: only the configured reply queue.
  const char separator = kafka_ ? '.' : sqs_ ? '\0' : ':';
  if (!allowed_reply_stream(reply_to, reply_root_, separator))
    return "reply_to: " + reply_to + " is not " + reply_root_ + " or one below it (" + reply_root_ + separator +
           "NAME)";
  job->request = request;
  if (auto reason = plan_job(job)) return reason;
  const NanoTime now = wall_now();
  JournalEntry& entry = job->entry;
  entry.id = request.id;
  entry.message = message;
  entry.accepted_at = now;
  entry.reply_to = reply_to;
  if (request.from && request.to) {
    entry.from = *request.from;
    entry.to = *request.to;
  } else {  // a live request: from now on, for its duration; its idle timeout may end it sooner
    const std::int64_t seconds =
        request.duration_seconds.value_or(static_cast<std::int64_t>(settings_.max_duration_seconds));
    entry.from = now;
    entry.to = now + seconds * kNanosPerSecond;
  }
  return std::nullopt;
}

// A request for this node that it will not serve: logged, counted and answered with the
// reason on the configured reply stream (never one the message chose).
void Agent::reject(const std::string& id, const std::string& reason) {
  ++rejected_;
  log::warning("request " + id + " rejected: " + reason);
  send(reply_root_, {{"id", id}, {"node", identity_.node}, {"state", "rejected"}, {"reason", reason}});
}

void Agent::handle(const BusDelivery& delivery, RequestSource* source) {
  auto acknowledge = [&] {
    std::string error;
    if (source != nullptr && !delivery.entry_id.empty() && !source->ack(delivery, &error))
      log::warning("cannot acknowledge request entry " + delivery.entry_id + ": " + error);
  };
  std::unique_lock lock(admission_mutex_);
  if (delivery.redelivered) {
    // Read before a stop but not acknowledged: when it reached the journal it is being
    // resumed already.
    AgentRequest request;
    std::string error;
    if (parse_agent_request(delivery.message.body, policy_.limits, &request, &error)) {
      std::string load_error;
      if (journal_.load(request.id, &load_error)) return acknowledge();
    }
  }
  Admission admission = admit_request(delivery.message, keys_, seen_, policy_, wall_now(), delivery.redelivered);
  if (!admission.accepted) {
    // Answered only when the request names this node; others stay silent so that one bad
    // message does not get an answer from every node of the fleet. Which node it names is
    // read without the configured limits, so that a request over them is answered too.
    AgentRequestLimits naming_limits = policy_.limits;
    naming_limits.max_packets = naming_limits.max_bytes = UINT64_MAX / 2;
    naming_limits.max_duration_seconds = naming_limits.max_timeout_seconds = INT64_MAX / kNanosPerSecond;
    AgentRequest request;
    std::string error;
    const bool parsed = parse_agent_request(delivery.message.body, naming_limits, &request, &error);
    const bool names_this_node = parsed && request_names_node(request, identity_.node);
    if (names_this_node) {
      reject(request.id, admission.reason);
    } else if (!parsed) {  // no node to answer for: logged and counted only
      ++rejected_;
      log::warning("request (unparsable) rejected: " + admission.reason);
    }
    return acknowledge();
  }
  if (!request_names_node(admission.request, identity_.node)) return acknowledge();
  if (!admission.request.aliases.empty() &&
      std::none_of(admission.request.aliases.begin(), admission.request.aliases.end(),
                   [&](const std::string& alias) { return settings_.aliases.count(alias) != 0; })) {
    log::info("request " + admission.request.id + " names no alias of this node (" +
              join_names(admission.request.aliases) + "): left to the nodes that have them");
    return acknowledge();
  }
  {
    // An id this node still has in its journal names its result paths: a new request under
    // it would overwrite them (the seen ids are forgotten sooner than the journal).
    std::string load_error;
    if (!delivery.redelivered && (journal_.load(admission.request.id, &load_error) || !load_error.empty())) {
      reject(admission.request.id, "id: '" + admission.request.id + "' was already used on this node");
      return acknowledge();
    }
  }

  Job job;
  if (auto reason = prepare(admission, delivery.message, &job)) {
    reject(admission.request.id, *reason);
    return acknowledge();
  }
  {
    std::lock_guard queue_lock(queue_mutex_);
    if (running_ + queue_.size() >= settings_.max_concurrent + settings_.queue_size) {
      ++busy_;
      log::warning("request " + job.entry.id + ": busy (" + std::to_string(running_) + " running, " +
                   std::to_string(queue_.size()) + " waiting)");
      send(job.entry.reply_to, {{"id", job.entry.id}, {"node", identity_.node}, {"state", "busy"},
                                {"running", running_}, {"waiting", queue_.size()}});
      return acknowledge();
    }
  }
  if (int err = journal_.save(job.entry)) {
    // Not run: a request the agent cannot record could be neither resumed nor answered once.
    // Answered "failed" (the sender may resend it with a new id) and acknowledged, so the
    // entry is not read again in a loop while the disk is full.
    ++failed_;
    log::error("request journal: cannot record " + job.entry.id + ": " + errno_text(err) + "; answered failed");
    send(job.entry.reply_to, {{"id", job.entry.id}, {"node", identity_.node}, {"state", "failed"},
                              {"reason", "this node cannot record the request: " + errno_text(err)}});
    return acknowledge();
  }
  acknowledge();
  lock.unlock();
  ++accepted_;
  const bool live = job.entry.to > wall_now();
  send(job.entry.reply_to, {{"id", job.entry.id},
                            {"node", identity_.node},
                            {"state", live ? "waiting" : "accepted"},
                            {"interfaces", job.request.interfaces},
                            {"window", {{"from", format_rfc3339_ns(job.entry.from)},
                                        {"to", format_rfc3339_ns(job.entry.to)}}}});
  log::notice("request " + job.entry.id + " accepted" + (admission.signed_request ? " (key " + delivery.message.key_id + ")" : " (unsigned)") +
              ": " + std::to_string(job.request.interfaces.size()) + " interfaces, window " +
              format_rfc3339_ns(job.entry.from) + " to " + format_rfc3339_ns(job.entry.to));
  enqueue(std::move(job));
}

void Agent::enqueue(Job job) {
  {
    std::lock_guard lock(queue_mutex_);
    queue_.push_back(std::move(job));
  }
  queue_changed_.notify_one();
}

void Agent::run_job(Job& job) {
  const std::string body_sha256 = sha256_hex(job.entry.message.body);
  std::vector<nlohmann::json> answers;
  for (const InterfaceWork& work : job.interfaces) {
    InterfaceJob interface_job;
    interface_job.request = &job.request;
    interface_job.request_sha256 = body_sha256;
    interface_job.key_id = job.entry.message.key_id;
    interface_job.node = identity_.node;
    interface_job.interface_name = work.name;
    interface_job.rings = work.rings;
    interface_job.window = TimeWindow{job.entry.from, job.entry.to};
    OnDemandCapture capture;  // ends (and its ring goes) when this interface's result is done
    if (work.on_demand) {
      const std::string directory = settings_.state_dir + "/on-demand/" + job.entry.id + "/" + work.name;
      std::string error;
      if (capture.start(work.name, directory, job.request.bpf, job.request.snap.value_or(0), &error)) {
        interface_job.rings = catalog_rings(directory + "/ring", "", work.name, &error);
        // Its window starts when the capture does (a queued request starts late).
        interface_job.window.from =
            std::min(std::max(interface_job.window.from, capture.started_at()), interface_job.window.to);
      }
      if (interface_job.rings.empty()) {
        ++failed_;
        log::error("request " + job.entry.id + " on " + work.name + ": failed (" + error + ")");
        answers.push_back({{"id", job.entry.id}, {"node", identity_.node}, {"interface", work.name},
                           {"state", "failed"}, {"reason", "on-demand capture: " + error}});
        continue;
      }
    }
    // pcapdaemon's idle timeout ends live requests only: a window asked for is read whole.
    if (!job.request.from) interface_job.idle_timeout = job.request.timeout_seconds * kNanosPerSecond;
    interface_job.stop = &stop_;
    InterfaceResult result = write_interface_result(settings_.results_dir, interface_job);
    // Cut short by a stop: the entry stays "running" and the restart writes the same files.
    if (stop_) return;
    nlohmann::json answer = result_answer(interface_job, result);
    if (job.destination == "s3" && result.state != "failed")
      publish_to_s3(result.directory.substr(settings_.results_dir.size() + 1), &result, &answer);
    if (job.destination == "cloudshark" && result.state != "failed") publish_to_cloudshark(job, work.name, &result, &answer);
    if (result.state == "done") ++done_;
    else if (result.state == "partial") ++partial_;
    else ++failed_;
    log::write(result.state == "failed" ? log::Level::kError : log::Level::kNotice,
               "request " + job.entry.id + " on " + work.name + ": " + result.state +
                   (result.reason.empty() ? "" : " (" + result.reason + ")") + ", " +
                   std::to_string(result.report.packets_written) + " packets in " + result.directory);
    answers.push_back(std::move(answer));
  }
  job.entry.state = JournalEntry::State::kFinal;
  job.entry.answers = std::move(answers);
  if (int err = journal_.save(job.entry))
    log::error("request journal: cannot record the result of " + job.entry.id + ": " + errno_text(err));
  send_answers(&job.entry);
}

void Agent::worker() {
  name_this_thread("pc-agent-job");
  for (;;) {
    Job job;
    {
      std::unique_lock lock(queue_mutex_);
      queue_changed_.wait_for(lock, std::chrono::milliseconds(200), [&] { return stop_ || !queue_.empty(); });
      if (stop_) return;  // what waits stays "running" in the journal and resumes after the restart
      if (queue_.empty()) continue;
      job = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
      in_flight_.insert(job.entry.id);
    }
    run_job(job);
    std::lock_guard lock(queue_mutex_);
    --running_;
    in_flight_.erase(job.entry.id);
  }
}

void Agent::channel_loop() {
  name_this_thread("pc-agent-sub");
  RedisChannelListener listener(bus_settings());
  bool connected = false;
  while (!stop_) {
    std::string error;
    if (!connected) {
      connected = listener.open(&error);
      if (!connected) {
        std::this_thread::sleep_for(kReconnectPause);
        continue;
      }
      log::notice("listening on channel " + settings_.channel);
    }
    std::vector<BusDelivery> deliveries;
    if (!listener.next(&deliveries, &error)) {
      log::warning("channel " + settings_.channel + ": " + error + "; reconnecting");
      connected = false;
      continue;
    }
    for (const auto& delivery : deliveries) handle(delivery, nullptr);
  }
}

std::string Agent::status_line() {
  std::size_t running = 0, waiting = 0;
  {
    std::lock_guard lock(queue_mutex_);
    running = running_;
    waiting = queue_.size();
  }
  return "node " + identity_.node + ": " + std::to_string(running) + " running, " + std::to_string(waiting) +
         " waiting; accepted " + std::to_string(accepted_) + ", rejected " + std::to_string(rejected_) + ", busy " +
         std::to_string(busy_) + "; results done " + std::to_string(done_) + ", partial " + std::to_string(partial_) +
         ", failed " + std::to_string(failed_);
}

int Agent::run() {
  open_state();
  if (settings_.allow_unsigned)
    log::warning("allow_unsigned is set: anyone who can write to " +
                 (kafka_ ? settings_.kafka_topic
                  : sqs_ ? settings_.sqs_queue_url
                         : settings_.request_stream + " or publish on " + settings_.channel) +
                 " can request captures from this node");
  if (keys_.size() == 0 && !settings_.allow_unsigned)
    log::warning("no trusted keys in " + settings_.trusted_keys_dir + ": every request will be rejected");
  resume();
  std::vector<std::thread> threads;
  for (std::uint64_t i = 0; i < std::max<std::uint64_t>(1, settings_.max_concurrent); ++i)
    threads.emplace_back([this] { worker(); });
  if (!kafka_ && !sqs_ && !settings_.channel.empty()) threads.emplace_back([this] { channel_loop(); });

  std::unique_ptr<RequestSource> source = request_source();
  const std::string bus_name = kafka_ ? "Kafka" : sqs_ ? "SQS" : "Redis";
  bool connected = false, ready = false;
  std::string last_error;
  auto last_status = std::chrono::steady_clock::now() - std::chrono::hours(1);
  auto last_resend = last_status;
  while (!stop_) {
    std::string error;
    if (!connected) {
      connected = source->open(&error);
      if (connected) {
        log::notice("listening on " + source->describe());
        last_error.clear();
      } else if (error != last_error) {
        log::warning(source->describe() + ": " + error + "; retrying every second");
        last_error = error;
      }
      if (!ready) {
        notifier_.ready(connected ? status_line() : "waiting for " + bus_name + ": " + error);
        ready = true;
      }
    }
    // The watchdog hears from this loop only: a wedged bus loop gets the agent restarted.
    notifier_.watchdog();
    if (!connected) {
      notifier_.status("waiting for " + bus_name + ": " + last_error);
      std::this_thread::sleep_for(kReconnectPause);
      continue;
    }
    std::vector<BusDelivery> deliveries;
    if (!source->read(&deliveries, kBusWait, &error)) {
      log::warning(source->describe() + ": " + error + "; reconnecting");
      connected = false;
      continue;
    }
    for (const auto& delivery : deliveries) handle(delivery, source.get());
    const auto now = std::chrono::steady_clock::now();
    if (unsent_answers_ && now - last_resend > kResendInterval) {
      resend_unsent_answers();
      last_resend = now;
    }
    if (!deliveries.empty() || now - last_status > std::chrono::seconds(10)) {
      notifier_.status(status_line());
      last_status = now;
    }
  }
  notifier_.stopping();
  queue_changed_.notify_all();
  for (auto& thread : threads) thread.join();
  log::notice("stopped; " + status_line());
  return kExitOk;
}

}  // namespace

int run_agent(const AgentSettings& settings, const AgentIdentity& identity, TrustedKeys keys,
              const AgentDestinations& destinations, const RingLocator& locate_rings, const std::atomic<bool>& stop) {
  Agent agent(settings, identity, std::move(keys), destinations, locate_rings, stop);
  return agent.run();
}

}  // namespace pcap_ring
