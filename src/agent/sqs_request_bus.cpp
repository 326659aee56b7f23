#include "agent/sqs_request_bus.h"

#include <algorithm>
#include <functional>

#include "stages/http_client.h"

namespace pcap_ring {
namespace {

constexpr const char* kSignatureAttributes[] = {kSignatureKeyIdName, kSignatureAlgorithmName, kSignatureValueName};

// "https://sqs.eu-west-1.amazonaws.com/123456789012/pcap-node-a" -> "https://sqs.eu-west-1.amazonaws.com/"
std::string endpoint_of(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const auto slash = url.find('/', scheme + 3);
  return (slash == std::string::npos ? url : url.substr(0, slash)) + "/";
}

HttpResponse signed_post(const SqsBusSettings& settings, const std::string& url, const std::string& service,
                         const std::vector<std::string>& headers_to_add, const std::string& payload, long timeout) {
  CurlHeaders headers;  // outlives the handle that points to it
  for (const auto& header : headers_to_add) headers.append(header);
  CurlEasy curl = make_curl_easy();
  const std::string sigv4 = "aws:amz:" + settings.region + ":" + service;
  curl_easy_setopt(curl.get(), CURLOPT_AWS_SIGV4, sigv4.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_USERNAME, settings.credentials.access_key_id.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_PASSWORD, settings.credentials.secret_access_key.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(payload.size()));
  curl_easy_setopt(curl.get(), CURLOPT_COPYPOSTFIELDS, payload.c_str());
  HttpOptions options;
  options.timeout_seconds = timeout;
  options.connect_timeout_seconds = std::min<long>(timeout, 10);
  Url target(url);
  return perform_at(curl.get(), target, options);
}

// An AWS error body names its type ("__type": "com.amazonaws.sqs#QueueDoesNotExist") and message.
std::string aws_error(const HttpResponse& response) {
  if (response.result != CURLE_OK) return transfer_error_text(response);
  nlohmann::json body = nlohmann::json::parse(response.body, nullptr, false);
  std::string detail;
  if (body.is_object()) {
    if (body.contains("__type") && body["__type"].is_string()) detail = body["__type"].get<std::string>();
    for (const char* key : {"message", "Message"})
      if (body.contains(key) && body[key].is_string()) detail += (detail.empty() ? "" : ": ") + body[key].get<std::string>();
  }
  return "HTTP " + std::to_string(response.status) + (detail.empty() ? "" : " (" + detail.substr(0, 200) + ")");
}

// A string member of an object from the network; "" when absent or of another type.
std::string string_field(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

const nlohmann::json& object_field(const nlohmann::json& j, const char* key) {
  static const nlohmann::json empty = nlohmann::json::object();
  if (!j.is_object()) return empty;
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? *it : empty;
}

std::string string_attribute(const nlohmann::json& attributes, const char* name, const char* value_key) {
  if (!attributes.is_object() || !attributes.contains(name) || !attributes[name].is_object()) return "";
  const nlohmann::json& a = attributes[name];
  return a.contains(value_key) && a[value_key].is_string() ? a[value_key].get<std::string>().substr(0, 4096) : "";
}

nlohmann::json string_attributes(const BusMessage& message) {
  nlohmann::json attributes = nlohmann::json::object();
  if (message.key_id.empty()) return attributes;
  const std::string values[] = {message.key_id, message.algorithm, message.signature};
  for (std::size_t i = 0; i < 3; ++i)
    attributes[kSignatureAttributes[i]] = {{"DataType", "String"}, {"StringValue", values[i]}};
  return attributes;
}

}  // namespace

bool sqs_call(const SqsBusSettings& settings, const std::string& queue_url, const std::string& action,
              const nlohmann::json& body, nlohmann::json* response, std::string* error) {
  HttpResponse r = signed_post(settings, endpoint_of(queue_url), "sqs",
                               {"Content-Type: application/x-amz-json-1.0", "X-Amz-Target: AmazonSQS." + action},
                               body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                               settings.timeout_seconds + static_cast<long>(settings.wait.count()));
  if (!r.success()) {
    *error = "sqs: " + action + " " + queue_url + ": " + aws_error(r);
    return false;
  }
  *response = r.body.empty() ? nlohmann::json::object() : nlohmann::json::parse(r.body, nullptr, false);
  if (!response->is_object()) {
    *error = "sqs: " + action + ": the reply is not a JSON object";
    return false;
  }
  return true;
}

BusMessage sqs_bus_message(const nlohmann::json& m) {
  BusMessage message;
  message.body = string_field(m, "Body");
  const nlohmann::json& attributes = object_field(m, "MessageAttributes");
  message.key_id = string_attribute(attributes, kSignatureKeyIdName, "StringValue");
  message.algorithm = string_attribute(attributes, kSignatureAlgorithmName, "StringValue");
  message.signature = string_attribute(attributes, kSignatureValueName, "StringValue");
  // Without raw delivery SNS wraps the message (and its attributes) in a notification.
  nlohmann::json envelope = nlohmann::json::parse(message.body, nullptr, false);
  if (string_field(envelope, "Type") == "Notification" && !string_field(envelope, "TopicArn").empty() &&
      envelope["Message"].is_string()) {
    message.body = envelope["Message"].get<std::string>();
    const nlohmann::json& wrapped = object_field(envelope, "MessageAttributes");
    message.key_id = string_attribute(wrapped, kSignatureKeyIdName, "Value");
    message.algorithm = string_attribute(wrapped, kSignatureAlgorithmName, "Value");
    message.signature = string_attribute(wrapped, kSignatureValueName, "Value");
  }
  return message;
}

bool SqsRequestSource::open(std::string* error) {
  // Reachable and the queue exists: a wrong URL or key shows at start, not at the first request.
  nlohmann::json response;
  return sqs_call(settings_, settings_.queue_url, "GetQueueAttributes",
                  {{"QueueUrl", settings_.queue_url}, {"AttributeNames", {"VisibilityTimeout"}}}, &response, error);
}

bool SqsRequestSource::read(std::vector<BusDelivery>* out, std::chrono::milliseconds, std::string* error) {
  // The long poll replaces the loop's own wait (the watchdog allows far more than 20 s).
  nlohmann::json response;
  if (!sqs_call(settings_, settings_.queue_url, "ReceiveMessage",
                {{"QueueUrl", settings_.queue_url},
                 {"MaxNumberOfMessages", 10},
                 {"WaitTimeSeconds", std::clamp<long long>(settings_.wait.count(), 0, 20)},
                 {"MessageAttributeNames", {"All"}},
                 {"AttributeNames", {"ApproximateReceiveCount"}},
                 {"MessageSystemAttributeNames", {"ApproximateReceiveCount"}}},
                &response, error))
    return false;
  if (!response.contains("Messages") || !response["Messages"].is_array()) return true;
  for (const nlohmann::json& m : response["Messages"]) {
    if (!m.is_object() || !m.contains("ReceiptHandle") || !m["ReceiptHandle"].is_string()) continue;
    BusDelivery delivery;
    delivery.message = sqs_bus_message(m);
    delivery.entry_id = m["ReceiptHandle"].get<std::string>();
    const std::string count = string_field(object_field(m, "Attributes"), "ApproximateReceiveCount");
    delivery.redelivered = !count.empty() && count != "1" && count != "0";
    out->push_back(std::move(delivery));
  }
  return true;
}

bool SqsRequestSource::ack(const BusDelivery& delivery, std::string* error) {
  nlohmann::json response;
  return sqs_call(settings_, settings_.queue_url, "DeleteMessage",
                  {{"QueueUrl", settings_.queue_url}, {"ReceiptHandle", delivery.entry_id}}, &response, error);
}

std::string SqsRequestSource::describe() const { return "SQS queue " + settings_.queue_url; }

bool SqsAnswerWriter::send(const std::string& queue_url, const nlohmann::json& answer, std::string* error) {
  nlohmann::json response;
  return sqs_call(settings_, queue_url, "SendMessage",
                  {{"QueueUrl", queue_url},
                   {"MessageBody", answer.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)}},
                  &response, error);
}

bool sqs_send_request(const SqsBusSettings& settings, const BusMessage& message, std::string* error) {
  if (settings.topic_arn.empty()) {
    nlohmann::json response;
    nlohmann::json body = {{"QueueUrl", settings.queue_url}, {"MessageBody", message.body}};
    if (!message.key_id.empty()) body["MessageAttributes"] = string_attributes(message);
    return sqs_call(settings, settings.queue_url, "SendMessage", body, &response, error);
  }
  // SNS speaks the query protocol: a form, answered in XML (only the status matters here).
  std::string form = "Action=Publish&Version=2010-03-31&TopicArn=" + url_escape(settings.topic_arn) +
                     "&Message=" + url_escape(message.body);
  if (!message.key_id.empty()) {
    const std::string values[] = {message.key_id, message.algorithm, message.signature};
    for (int i = 0; i < 3; ++i) {
      const std::string entry = "&MessageAttributes.entry." + std::to_string(i + 1);
      form += entry + ".Name=" + kSignatureAttributes[i] + entry + ".Value.DataType=String" + entry +
              ".Value.StringValue=" + url_escape(values[i]);
    }
  }
  const std::string endpoint =
      settings.sns_endpoint.empty() ? "https://sns." + settings.region + ".amazonaws.com/" : settings.sns_endpoint;
  HttpResponse r = signed_post(settings, endpoint, "sns", {"Content-Type: application/x-www-form-urlencoded"}, form,
                               settings.timeout_seconds);
  if (!r.success()) {
    *error = "sns: Publish " + settings.topic_arn + ": " +
             (r.result != CURLE_OK ? transfer_error_text(r) : "HTTP " + std::to_string(r.status));
    return false;
  }
  return true;
}

bool sqs_receive_answers(const SqsBusSettings& settings, const std::string& queue_url, std::chrono::seconds wait,
                         const std::function<bool(const std::string&)>& keep, std::string* error) {
  nlohmann::json response;
  if (!sqs_call(settings, queue_url, "ReceiveMessage",
                {{"QueueUrl", queue_url},
                 {"MaxNumberOfMessages", 10},
                 {"WaitTimeSeconds", std::clamp<long long>(wait.count(), 0, 20)},
                 {"VisibilityTimeout", 5}},
                &response, error))
    return false;
  if (!response.contains("Messages") || !response["Messages"].is_array()) return true;
  for (const nlohmann::json& m : response["Messages"]) {
    if (!m.is_object() || !m.contains("Body") || !m["Body"].is_string() || !m.contains("ReceiptHandle") ||
        !m["ReceiptHandle"].is_string())
      continue;
    if (!keep(m["Body"].get<std::string>())) continue;
    nlohmann::json deleted;
    if (!sqs_call(settings, queue_url, "DeleteMessage", {{"QueueUrl", queue_url}, {"ReceiptHandle", m["ReceiptHandle"]}},
                  &deleted, error))
      return false;
  }
  return true;
}

}  // namespace pcap_ring
