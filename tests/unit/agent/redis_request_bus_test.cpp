#include "agent/redis_request_bus.h"

#include <gtest/gtest.h>

namespace pcap_ring {
namespace {

TEST(ChannelPayload, SignedMessagesCarryTheirSignatureInAnEnvelopeLine) {
  BusMessage signed_message{R"({"node":"a"})", "ops", "ed25519", "c2ln"};
  const std::string payload = channel_payload(signed_message);
  EXPECT_EQ(payload, "PCSIG1 ops ed25519 c2ln\n{\"node\":\"a\"}");
  BusMessage back = parse_channel_payload(payload);
  EXPECT_EQ(back.body, signed_message.body);
  EXPECT_EQ(back.key_id, "ops");
  EXPECT_EQ(back.algorithm, "ed25519");
  EXPECT_EQ(back.signature, "c2ln");
}

TEST(ChannelPayload, APcapdaemonMessageIsTheBodyUnsigned) {
  BusMessage m = parse_channel_payload(R"({"node":"a","interface":"eth0"})");
  EXPECT_EQ(m.body, R"({"node":"a","interface":"eth0"})");
  EXPECT_TRUE(m.key_id.empty() && m.algorithm.empty() && m.signature.empty());
  EXPECT_EQ(channel_payload(m), m.body);
}

TEST(ChannelPayload, AMalformedEnvelopeIsMarkedSoAdmissionRefusesIt) {
  for (const char* payload : {"PCSIG1 ops\n{}", "PCSIG1 \n{}", "PCSIG1 ops ed25519 c2ln", "PCSIG1 ops ed25519 c2ln more\n{}"}) {
    BusMessage m = parse_channel_payload(payload);
    EXPECT_EQ(m.algorithm, "malformed-envelope") << payload;
  }
}

TEST(StreamEntryFields, UnsignedMessagesHaveOnlyABody) {
  EXPECT_EQ(stream_entry_fields(BusMessage{"{}", "", "", ""}), (std::vector<std::string>{"body", "{}"}));
  EXPECT_EQ(stream_entry_fields(BusMessage{"{}", "k", "hmac-sha256", "s"}),
            (std::vector<std::string>{"body", "{}", "kid", "k", "alg", "hmac-sha256", "sig", "s"}));
}

}  // namespace
}  // namespace pcap_ring

namespace pcap_ring {
namespace {

RedisReply text(const std::string& s) {
  RedisReply r;
  r.type = RedisReply::Type::kString;
  r.text = s;
  return r;
}

RedisReply array(std::vector<RedisReply> elements) {
  RedisReply r;
  r.type = RedisReply::Type::kArray;
  r.elements = std::move(elements);
  return r;
}

TEST(StreamReadEntries, EntriesOfTheFirstStreamWithTheirFields) {
  // [[stream, [[id, [field, value...]], [id, nil: deleted since]]]]
  RedisReply reply = array({array({text("pcap:req"), array({array({text("1-0"), array({text("body"), text("{}"),
                                                                                         text("kid"), text("ops")})}),
                                                            array({text("2-0"), RedisReply{}})})})});
  auto entries = stream_read_entries(reply);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].id, "1-0");
  EXPECT_EQ(entries[0].fields, (std::vector<std::pair<std::string, std::string>>{{"body", "{}"}, {"kid", "ops"}}));
  EXPECT_EQ(entries[1].id, "2-0");
  EXPECT_TRUE(entries[1].fields.empty());
  EXPECT_TRUE(stream_read_entries(RedisReply{}).empty()) << "nil: nothing within the block time";
  EXPECT_TRUE(stream_read_entries(array({text("odd")})).empty());
}

}  // namespace
}  // namespace pcap_ring
