// Requests and answers on Amazon SQS (the JSON protocol, signed by libcurl's SigV4 as
// "aws:amz:REGION:sqs"). Each node long-polls its own queue; a fleet gets every request to
// every node by subscribing one queue per node to an SNS topic (raw message delivery, so the
// body and attributes arrive as sent). A message is deleted only once the request is
// recorded; one read but not deleted reappears after the queue's visibility timeout, and its
// ApproximateReceiveCount above 1 marks it as a redelivery (the same bytes sent again are a
// new message: a replay). The body is the request; a signature travels in the message
// attributes pc-kid, pc-alg and pc-sig. Answers are messages of a reply queue.
#pragma once

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent/request_bus.h"
#include "stages/s3_client.h"

namespace pcap_ring {

struct SqsBusSettings {
  std::string region;
  std::string queue_url;        // this node's request queue
  std::string topic_arn;        // senders: the SNS topic the nodes' queues subscribe to ("" = send to queue_url)
  std::string sns_endpoint;     // senders: where that topic is ("" = https://sns.REGION.amazonaws.com)
  std::chrono::seconds wait{10};  // long poll
  long timeout_seconds = 30;
  S3Credentials credentials;    // AWS access key id and secret
};

// One AWS JSON-protocol call (POST to the queue URL's host, X-Amz-Target: AmazonSQS.ACTION).
[[nodiscard]] bool sqs_call(const SqsBusSettings& settings, const std::string& queue_url, const std::string& action,
                            const nlohmann::json& body, nlohmann::json* response, std::string* error);

class SqsRequestSource : public RequestSource {
 public:
  explicit SqsRequestSource(SqsBusSettings settings) : settings_(std::move(settings)) {}
  [[nodiscard]] bool open(std::string* error) override;
  [[nodiscard]] bool read(std::vector<BusDelivery>* out, std::chrono::milliseconds wait, std::string* error) override;
  [[nodiscard]] bool ack(const BusDelivery& delivery, std::string* error) override;
  std::string describe() const override;

 private:
  SqsBusSettings settings_;
};

class SqsAnswerWriter : public AnswerSink {
 public:
  explicit SqsAnswerWriter(SqsBusSettings settings) : settings_(std::move(settings)) {}
  [[nodiscard]] bool send(const std::string& queue_url, const nlohmann::json& answer, std::string* error) override;

 private:
  SqsBusSettings settings_;
};

// The message of an SQS delivery: the body and signature attributes, unwrapped from an SNS
// notification envelope when the subscription does not use raw delivery.
BusMessage sqs_bus_message(const nlohmann::json& sqs_message);

// Sends a request: published on the SNS topic when one is set, else sent to the queue.
[[nodiscard]] bool sqs_send_request(const SqsBusSettings& settings, const BusMessage& message, std::string* error);

// Receives the bodies of messages from a queue within `wait`, deleting those `keep` accepts
// (`request --wait`: the answers to its own request); others reappear for other readers.
[[nodiscard]] bool sqs_receive_answers(const SqsBusSettings& settings, const std::string& queue_url,
                                       std::chrono::seconds wait, const std::function<bool(const std::string&)>& keep,
                                       std::string* error);

}  // namespace pcap_ring
