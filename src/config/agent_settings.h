// Settings of `packet-capture agent` and `packet-capture request`: which node this is, what a
// request may ask for, where results go, and the Redis bus. Layered like the stages' settings:
// defaults, CONFIG_DIR/packet-capture.conf, CONFIG_DIR/agent.conf ([agent] and [redis]), the
// environment, then flags (config/stage_settings.h). Secrets are files or systemd credentials,
// never values on a command line.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/tls_client_settings.h"
#include "config/defaults.h"

namespace pcap_ring {

struct AgentSettings {
  std::string node;  // this node's name in requests; "" = the host name
  // pcapdaemon's interface aliases: a request's `alias` list names interfaces through these,
  // so one request reaches "uplink" on every node whatever each one calls it.
  std::map<std::string, std::vector<std::string>> aliases;
  std::string trusted_keys_dir = std::string(kDefaultConfigDir) + "/trusted-keys.d";
  std::string state_dir = std::string(kDefaultStateRoot) + "/agent";        // seen ids, request journal
  std::string results_dir = std::string(kDefaultStateRoot) + "/requests";   // the "directory" destination
  std::string default_destination = "directory";
  bool allow_unsigned = false;
  bool on_demand = false;  // capture live requests on interfaces without a ring (needs CAP_NET_RAW)
  std::uint64_t max_skew_seconds = 120;
  std::uint64_t max_packets = 50'000;
  std::uint64_t max_bytes = 100'000'000;
  std::uint64_t max_duration_seconds = 3600;
  std::uint64_t max_timeout_seconds = 3600;
  std::uint64_t max_concurrent = 2;  // requests extracted at once
  std::uint64_t queue_size = 16;     // requests waiting beyond those; more are answered "busy"
  std::string bus = "redis";  // where requests come from: "redis", "kafka" or "sqs"
  // Redis: a stream read by a consumer group named after the node, pcapdaemon's pub/sub
  // channel, and the stream answers go to.
  std::string redis_host = "127.0.0.1";
  std::uint64_t redis_port = 6379;
  std::string redis_user;           // ACL user ("" = the default user)
  std::string redis_password_file;  // or the credential "redis-password"
  std::uint64_t redis_timeout_seconds = 5;
  TlsClientSettings redis_tls;  // [redis] tls, tls_ca_file, tls_cert_file, tls_key_file, tls_server_name
  std::string request_stream = "pcap:req";
  std::string channel = "capture";  // "" = no pub/sub
  std::string reply_stream = "pcap:ack";
  // Kafka: a topic read by a consumer group named after the node, and the topic answers go to.
  std::string kafka_brokers = "127.0.0.1:9092";
  std::string kafka_topic = "pcap.req";
  std::string kafka_reply_topic = "pcap.ack";
  std::uint64_t kafka_timeout_seconds = 10;
  TlsClientSettings kafka_tls;  // [kafka] tls, tls_ca_file, tls_cert_file, tls_key_file
  // SQS: this node's queue (subscribed to the fleet's SNS topic), the queue answers go to,
  // and for senders the topic.
  std::string sqs_region = "us-east-1";
  std::string sqs_queue_url;
  std::string sqs_reply_queue_url;
  std::string sqs_topic_arn;
  std::string sqs_sns_endpoint;
  std::uint64_t sqs_wait_seconds = 10;
  std::string sqs_access_key_id_file;      // or the credential sqs-access-key-id
  std::string sqs_secret_access_key_file;  // or the credential sqs-secret-access-key
  std::string config_dir = kDefaultConfigDir;
};

}  // namespace pcap_ring
