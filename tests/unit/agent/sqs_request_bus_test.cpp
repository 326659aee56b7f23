#include "agent/sqs_request_bus.h"

#include <gtest/gtest.h>

namespace pcap_ring {
namespace {

TEST(SqsRequestBus, RawDeliveryCarriesTheSignatureInMessageAttributes) {
  auto m = nlohmann::json::parse(R"({"Body": "{\"id\":\"r1\"}", "ReceiptHandle": "h",
    "MessageAttributes": {"pc-kid": {"DataType": "String", "StringValue": "ops"},
                          "pc-alg": {"DataType": "String", "StringValue": "ed25519"},
                          "pc-sig": {"DataType": "String", "StringValue": "c2ln"}}})");
  BusMessage message = sqs_bus_message(m);
  EXPECT_EQ(message.body, R"({"id":"r1"})");
  EXPECT_EQ(message.key_id, "ops");
  EXPECT_EQ(message.algorithm, "ed25519");
  EXPECT_EQ(message.signature, "c2ln");
}

TEST(SqsRequestBus, SnsNotificationIsUnwrapped) {
  nlohmann::json envelope = {{"Type", "Notification"},
                             {"TopicArn", "arn:aws:sns:us-east-1:1:pcap"},
                             {"Message", "{\"id\":\"r2\"}"},
                             {"MessageAttributes", {{"pc-kid", {{"Type", "String"}, {"Value", "ops"}}},
                                                    {"pc-sig", {{"Type", "String"}, {"Value", "c2ln"}}}}}};
  BusMessage message = sqs_bus_message({{"Body", envelope.dump()}});
  EXPECT_EQ(message.body, R"({"id":"r2"})");
  EXPECT_EQ(message.key_id, "ops");
  EXPECT_EQ(message.signature, "c2ln");
  EXPECT_EQ(message.algorithm, "");
}

TEST(SqsRequestBus, WrongTypesGiveAnEmptyMessageNotACrash) {
  for (const char* text : {R"({"Body": 5})", R"({"MessageAttributes": {"pc-kid": "ops"}})",
                           R"({"Body": "{\"Type\":\"Notification\",\"Message\":7,\"TopicArn\":1}"})", "[]"}) {
    BusMessage message = sqs_bus_message(nlohmann::json::parse(text));
    EXPECT_TRUE(message.key_id.empty()) << text;
  }
}

}  // namespace
}  // namespace pcap_ring
