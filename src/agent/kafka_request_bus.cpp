#include "agent/kafka_request_bus.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include <unistd.h>

#include "common/atomic_file.h"
#include "common/log.h"
#include "common/unique_fd.h"

namespace pcap_ring {

void RdKafkaDeleter::operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }

namespace {

using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, decltype(&rd_kafka_topic_partition_list_destroy)>;

PartitionList partition_list(int size) {
  return PartitionList(rd_kafka_topic_partition_list_new(size), rd_kafka_topic_partition_list_destroy);
}

class Config {
 public:
  Config() : conf_(rd_kafka_conf_new()) {}
  ~Config() {
    if (conf_ != nullptr) rd_kafka_conf_destroy(conf_);
  }
  Config(const Config&) = delete;
  Config& operator=(const Config&) = delete;
  bool set(const char* name, const std::string& value, std::string* error) {
    char err[512];
    if (rd_kafka_conf_set(conf_, name, value.c_str(), err, sizeof err) == RD_KAFKA_CONF_OK) return true;
    *error = std::string("kafka: ") + name + " = " + value + ": " + err;
    return false;
  }
  rd_kafka_conf_t* get() { return conf_; }
  // librdkafka owns the configuration once rd_kafka_new succeeds.
  RdKafkaHandle create(rd_kafka_type_t type, std::string* error) {
    char err[512];
    rd_kafka_t* rk = rd_kafka_new(type, conf_, err, sizeof err);
    if (rk == nullptr) {
      *error = std::string("kafka: ") + err;
      return nullptr;
    }
    conf_ = nullptr;
    return RdKafkaHandle(rk);
  }

 private:
  rd_kafka_conf_t* conf_;
};

// librdkafka's own messages (broker connections, group changes) go to the agent's log; its
// debug chatter does not.
void log_from_librdkafka(const rd_kafka_t*, int level, const char* facility, const char* text) {
  if (level > 5) return;
  log::write(level <= 3 ? log::Level::kError : level == 4 ? log::Level::kWarning : log::Level::kNotice,
             std::string("kafka: ") + facility + ": " + text);
}

// TLS: the brokers' certificates must chain to ca_file (or the system's CAs) and carry the
// broker's name (librdkafka checks it against the address it connects to).
bool tls_settings(Config* conf, const TlsClientSettings& tls, std::string* error) {
  if (!tls.enabled) return true;
  if (!conf->set("security.protocol", "ssl", error) ||
      !conf->set("ssl.endpoint.identification.algorithm", "https", error) ||
      !conf->set("enable.ssl.certificate.verification", "true", error))
    return false;
  if (!tls.ca_file.empty() && !conf->set("ssl.ca.location", tls.ca_file, error)) return false;
  if (!tls.cert_file.empty() && !conf->set("ssl.certificate.location", tls.cert_file, error)) return false;
  return tls.key_file.empty() || conf->set("ssl.key.location", tls.key_file, error);
}

bool common_settings(Config* conf, const KafkaEndpoint& endpoint, std::string* error) {
  rd_kafka_conf_set_log_cb(conf->get(), log_from_librdkafka);
  return conf->set("bootstrap.servers", endpoint.brokers, error) && conf->set("client.id", "packet-capture", error) &&
         conf->set("socket.timeout.ms", std::to_string(std::max<long long>(10, endpoint.timeout.count())), error) &&
         conf->set("log.connection.close", "false", error) && tls_settings(conf, endpoint.tls, error);
}

// The delivery report of one produced message, set by librdkafka's callback.
struct Delivery {
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__IN_PROGRESS;
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void*) {
  static_cast<Delivery*>(message->_private)->err = message->err;
}

RdKafkaHandle new_producer(const KafkaEndpoint& endpoint, std::string* error) {
  Config conf;
  if (!common_settings(&conf, endpoint, error) || !conf.set("acks", "all", error) ||
      !conf.set("message.timeout.ms", std::to_string(std::max<long long>(1000, endpoint.timeout.count())), error))
    return nullptr;
  rd_kafka_conf_set_dr_msg_cb(conf.get(), on_delivery);
  return conf.create(RD_KAFKA_PRODUCER, error);
}

// Produces one message and waits for its delivery report: librdkafka gives one for every
// message by message.timeout.ms, so the report's storage outlives the wait.
bool produce_and_wait(rd_kafka_t* producer, const std::string& topic, const std::string& value,
                      const std::vector<std::pair<std::string, std::string>>& headers, std::string* error) {
  Delivery delivery;
  rd_kafka_headers_t* message_headers = rd_kafka_headers_new(headers.size());
  for (const auto& [name, text] : headers)
    rd_kafka_header_add(message_headers, name.c_str(), static_cast<ssize_t>(name.size()), text.data(),
                        static_cast<ssize_t>(text.size()));
  // The array form of rd_kafka_producev (whose macros are a GNU extension).
  rd_kafka_vu_t fields[5] = {};
  fields[0].vtype = RD_KAFKA_VTYPE_TOPIC;
  fields[0].u.cstr = topic.c_str();
  fields[1].vtype = RD_KAFKA_VTYPE_VALUE;
  fields[1].u.mem.ptr = const_cast<char*>(value.data());
  fields[1].u.mem.size = value.size();
  fields[2].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
  fields[2].u.i = RD_KAFKA_MSG_F_COPY;
  fields[3].vtype = RD_KAFKA_VTYPE_HEADERS;
  fields[3].u.headers = message_headers;
  fields[4].vtype = RD_KAFKA_VTYPE_OPAQUE;
  fields[4].u.ptr = &delivery;
  if (rd_kafka_error_t* failure = rd_kafka_produceva(producer, fields, 5)) {
    rd_kafka_headers_destroy(message_headers);  // not taken over on failure
    *error = "kafka: producing to " + topic + ": " + rd_kafka_error_string(failure);
    rd_kafka_error_destroy(failure);
    return false;
  }
  while (delivery.err == RD_KAFKA_RESP_ERR__IN_PROGRESS) rd_kafka_poll(producer, 100);
  if (delivery.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    *error = "kafka: " + topic + ": " + rd_kafka_err2str(delivery.err);
    return false;
  }
  return true;
}

std::string header_value(rd_kafka_headers_t* headers, const char* name) {
  const void* value = nullptr;
  std::size_t size = 0;
  if (headers == nullptr || rd_kafka_header_get_last(headers, name, &value, &size) != RD_KAFKA_RESP_ERR_NO_ERROR ||
      value == nullptr)
    return "";
  return std::string(static_cast<const char*>(value), std::min<std::size_t>(size, 4096));
}

void on_rebalance(rd_kafka_t*, rd_kafka_resp_err_t event, rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  static_cast<KafkaRequestSource*>(opaque)->rebalance(event, partitions);
}

}  // namespace

KafkaRequestSource::~KafkaRequestSource() {
  if (consumer_) rd_kafka_consumer_close(consumer_.get());  // leaves the group now, not at the session timeout
}

void KafkaRequestSource::load_read_marks() {
  if (settings_.read_marks_path.empty()) return;
  std::ifstream in(settings_.read_marks_path);
  std::string line;
  while (in && std::getline(in, line) && read_marks_.size() < 100000) {
    std::istringstream words(line);
    std::int32_t partition = -1;
    std::int64_t offset = -1;
    if (!(words >> partition >> offset) || partition < 0 || offset < 0) {
      log::warning(settings_.read_marks_path + ": line '" + line.substr(0, 80) + "' is not PARTITION OFFSET; ignored");
      continue;
    }
    read_marks_[partition] = std::max(read_marks_[partition], offset);
  }
}

bool KafkaRequestSource::note_read(std::int32_t partition, std::int64_t offset) {
  auto it = read_marks_.find(partition);
  if (it != read_marks_.end() && offset <= it->second) return true;
  read_marks_[partition] = offset;
  if (settings_.read_marks_path.empty()) return false;
  std::string text;
  for (const auto& [p, o] : read_marks_) text += std::to_string(p) + " " + std::to_string(o) + "\n";
  if (int err = write_file_atomically(settings_.read_marks_path, text))
    log::warning("cannot record the Kafka offsets read in " + settings_.read_marks_path + ": " + errno_text(err) +
                 "; a request redelivered after a crash would be refused as a replay");
  return false;
}

bool KafkaRequestSource::open(std::string* error) {
  if (consumer_) return true;  // librdkafka reconnects by itself
  load_read_marks();
  Config conf;
  // A dead agent's partitions move to its restarted self after the session timeout; a
  // rebalance waits for members at most max.poll.interval.ms (the bus loop polls every second,
  // requests run on other threads).
  if (!common_settings(&conf, settings_.endpoint, error) ||
      !conf.set("group.id", settings_.group, error) || !conf.set("enable.auto.commit", "false", error) ||
      !conf.set("enable.auto.offset.store", "false", error) || !conf.set("auto.offset.reset", "latest", error) ||
      !conf.set("session.timeout.ms", "10000", error) || !conf.set("heartbeat.interval.ms", "1000", error) ||
      !conf.set("max.poll.interval.ms", "20000", error))
    return false;
  rd_kafka_conf_set_opaque(conf.get(), this);
  rd_kafka_conf_set_rebalance_cb(conf.get(), on_rebalance);
  RdKafkaHandle consumer = conf.create(RD_KAFKA_CONSUMER, error);
  if (!consumer) return false;
  rd_kafka_poll_set_consumer(consumer.get());
  PartitionList topics = partition_list(1);
  rd_kafka_topic_partition_list_add(topics.get(), settings_.topic.c_str(), RD_KAFKA_PARTITION_UA);
  if (rd_kafka_resp_err_t err = rd_kafka_subscribe(consumer.get(), topics.get())) {
    *error = "kafka: subscribing to " + settings_.topic + ": " + rd_kafka_err2str(err);
    return false;
  }
  consumer_ = std::move(consumer);
  return true;
}

// Partitions this node now reads: from their committed offsets; a partition the group never
// committed starts at its end, committed at once so that the start holds across restarts.
void KafkaRequestSource::rebalance(rd_kafka_resp_err_t event, rd_kafka_topic_partition_list_t* partitions) {
  rd_kafka_t* rk = consumer_.get();
  if (event != RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    rd_kafka_assign(rk, nullptr);
    log::notice("kafka: partitions of " + settings_.topic + " revoked");
    return;
  }
  const int timeout_ms = static_cast<int>(settings_.endpoint.timeout.count());
  if (rd_kafka_resp_err_t err = rd_kafka_committed(rk, partitions, timeout_ms))
    log::warning(std::string("kafka: cannot read the group's committed offsets: ") + rd_kafka_err2str(err));
  std::string assigned;
  for (int i = 0; i < partitions->cnt; ++i) {
    rd_kafka_topic_partition_t& p = partitions->elems[i];
    if (p.offset < 0) {
      std::int64_t low = 0, high = 0;
      if (rd_kafka_query_watermark_offsets(rk, p.topic, p.partition, &low, &high, timeout_ms) ==
          RD_KAFKA_RESP_ERR_NO_ERROR) {
        p.offset = high;
        to_commit_.emplace_back(p.partition, high);
      }
    }
    assigned += (assigned.empty() ? "" : ", ") + std::to_string(p.partition) + "@" + std::to_string(p.offset);
  }
  if (rd_kafka_resp_err_t err = rd_kafka_assign(rk, partitions))
    log::error(std::string("kafka: cannot take the assigned partitions: ") + rd_kafka_err2str(err));
  else
    log::notice("kafka: reading " + settings_.topic + " partitions " + assigned + " (partition@offset)");
}

void KafkaRequestSource::commit_new_group_positions() {
  if (to_commit_.empty()) return;
  PartitionList list = partition_list(static_cast<int>(to_commit_.size()));
  for (const auto& [partition, offset] : to_commit_)
    rd_kafka_topic_partition_list_add(list.get(), settings_.topic.c_str(), partition)->offset = offset;
  to_commit_.clear();
  if (rd_kafka_resp_err_t err = rd_kafka_commit(consumer_.get(), list.get(), 0))
    log::warning(std::string("kafka: cannot commit the group's starting offsets: ") + rd_kafka_err2str(err));
}

bool KafkaRequestSource::read(std::vector<BusDelivery>* out, std::chrono::milliseconds wait, std::string* error) {
  (void)error;  // librdkafka reconnects by itself: errors are logged, never a broken connection
  auto timeout = static_cast<int>(wait.count());
  for (int i = 0; i < 16; ++i, timeout = 0) {
    rd_kafka_message_t* raw = rd_kafka_consumer_poll(consumer_.get(), timeout);
    commit_new_group_positions();
    if (raw == nullptr) return true;
    std::unique_ptr<rd_kafka_message_t, decltype(&rd_kafka_message_destroy)> message(raw, rd_kafka_message_destroy);
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
        log::warning("kafka: " + std::string(rd_kafka_message_errstr(message.get())));
      continue;
    }
    BusDelivery delivery;
    if (message->payload != nullptr)
      delivery.message.body.assign(static_cast<const char*>(message->payload), message->len);
    rd_kafka_headers_t* headers = nullptr;
    if (rd_kafka_message_headers(message.get(), &headers) != RD_KAFKA_RESP_ERR_NO_ERROR) headers = nullptr;
    delivery.message.key_id = header_value(headers, kSignatureKeyIdName);
    delivery.message.algorithm = header_value(headers, kSignatureAlgorithmName);
    delivery.message.signature = header_value(headers, kSignatureValueName);
    delivery.entry_id = std::to_string(message->partition) + ":" + std::to_string(message->offset);
    delivery.redelivered = note_read(message->partition, message->offset);
    out->push_back(std::move(delivery));
  }
  return true;
}

bool KafkaRequestSource::ack(const BusDelivery& delivery, std::string* error) {
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  if (std::sscanf(delivery.entry_id.c_str(), "%d:%ld", &partition, &offset) != 2) {
    *error = "not a Kafka position: " + delivery.entry_id;
    return false;
  }
  PartitionList list = partition_list(1);
  rd_kafka_topic_partition_list_add(list.get(), settings_.topic.c_str(), partition)->offset = offset + 1;
  if (rd_kafka_resp_err_t err = rd_kafka_commit(consumer_.get(), list.get(), 0)) {
    *error = std::string("kafka: commit: ") + rd_kafka_err2str(err);
    return false;
  }
  return true;
}

std::string KafkaRequestSource::describe() const {
  return "Kafka topic " + settings_.topic + " as group " + settings_.group + " at " + settings_.endpoint.brokers;
}

bool KafkaAnswerWriter::send(const std::string& topic, const nlohmann::json& answer, std::string* error) {
  std::lock_guard lock(mutex_);
  if (!producer_) producer_ = new_producer(endpoint_, error);
  if (!producer_) return false;
  return produce_and_wait(producer_.get(), topic, answer.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                          {}, error);
}

bool kafka_produce(const KafkaEndpoint& endpoint, const std::string& topic, const BusMessage& message,
                   std::string* error) {
  RdKafkaHandle producer = new_producer(endpoint, error);
  if (!producer) return false;
  std::vector<std::pair<std::string, std::string>> headers;
  if (!message.key_id.empty())
    headers = {{kSignatureKeyIdName, message.key_id},
               {kSignatureAlgorithmName, message.algorithm},
               {kSignatureValueName, message.signature}};
  return produce_and_wait(producer.get(), topic, message.body, headers, error);
}

bool KafkaTopicFollower::start(std::string* error) {
  Config conf;
  // librdkafka reads assigned partitions only with a group id; this one never joins a group
  // (no subscribe) and never commits.
  if (!common_settings(&conf, endpoint_, error) || !conf.set("enable.auto.commit", "false", error) ||
      !conf.set("group.id", "packet-capture-request-" + std::to_string(::getpid()), error))
    return false;
  consumer_ = conf.create(RD_KAFKA_CONSUMER, error);
  if (!consumer_) return false;
  rd_kafka_t* rk = consumer_.get();
  const int timeout_ms = static_cast<int>(endpoint_.timeout.count());
  rd_kafka_topic_t* topic = rd_kafka_topic_new(rk, topic_.c_str(), nullptr);
  const rd_kafka_metadata_t* metadata = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, topic, &metadata, timeout_ms);
  rd_kafka_topic_destroy(topic);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    *error = "kafka: metadata of " + topic_ + ": " + rd_kafka_err2str(err);
    return false;
  }
  std::vector<std::int32_t> partitions;
  if (metadata->topic_cnt == 1 && metadata->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR)
    for (int i = 0; i < metadata->topics[0].partition_cnt; ++i) partitions.push_back(metadata->topics[0].partitions[i].id);
  const std::string topic_error =
      metadata->topic_cnt == 1 ? rd_kafka_err2str(metadata->topics[0].err) : std::string("not in the metadata");
  rd_kafka_metadata_destroy(metadata);
  if (partitions.empty()) {
    *error = "kafka: topic " + topic_ + ": " + topic_error;
    return false;
  }
  PartitionList list = partition_list(static_cast<int>(partitions.size()));
  for (std::int32_t partition : partitions) {
    std::int64_t low = 0, high = 0;
    if ((err = rd_kafka_query_watermark_offsets(rk, topic_.c_str(), partition, &low, &high, timeout_ms))) {
      *error = "kafka: end of " + topic_ + " partition " + std::to_string(partition) + ": " + rd_kafka_err2str(err);
      return false;
    }
    rd_kafka_topic_partition_list_add(list.get(), topic_.c_str(), partition)->offset = high;
  }
  if ((err = rd_kafka_assign(rk, list.get()))) {
    *error = "kafka: reading " + topic_ + ": " + rd_kafka_err2str(err);
    return false;
  }
  return true;
}

bool KafkaTopicFollower::next(std::vector<std::string>* values, std::chrono::milliseconds wait, std::string* error) {
  (void)error;
  rd_kafka_message_t* raw = rd_kafka_consumer_poll(consumer_.get(), static_cast<int>(wait.count()));
  if (raw == nullptr) return true;
  std::unique_ptr<rd_kafka_message_t, decltype(&rd_kafka_message_destroy)> message(raw, rd_kafka_message_destroy);
  if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR && message->payload != nullptr)
    values->emplace_back(static_cast<const char*>(message->payload), message->len);
  return true;
}

}  // namespace pcap_ring
