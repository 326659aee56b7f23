#include "agent/agent_request.h"

#include <gtest/gtest.h>

#include <string>

namespace pcap_ring {
namespace {

AgentRequest parse_ok(const std::string& body, const AgentRequestLimits& limits = {}) {
  AgentRequest r;
  std::string error;
  EXPECT_TRUE(parse_agent_request(body, limits, &r, &error)) << error << "\n" << body;
  return r;
}

std::string parse_error(const std::string& body, const AgentRequestLimits& limits = {}) {
  AgentRequest r;
  std::string error;
  EXPECT_FALSE(parse_agent_request(body, limits, &r, &error)) << body;
  return error;
}

// pcapdaemon's documented message, with every field it lists.
const char* kPcapdaemonMessage = R"({
  "node": "node name", "interface": ["bond1","bond2"], "tags": "blah,tagme,stuff",
  "bpf": "dst ip 10.0.0.1", "customer": "importantcustomer", "snap": 1500, "packets": 50,
  "alertid": 655443, "timeout": 15, "duration": 60, "bytes": 1000, "packetdebug": false,
  "folder": "myfolder", "bucket": "mybucket", "acl": "public-read", "region": "us-east-1",
  "endpoint": "s3.amazonaws.com", "encryption": false })";

TEST(AgentRequest, PcapdaemonMessageParsesAsDocumented) {
  AgentRequest r = parse_ok(kPcapdaemonMessage);
  EXPECT_EQ(r.node, "node name");
  EXPECT_EQ(r.interfaces, (std::vector<std::string>{"bond1", "bond2"}));
  EXPECT_EQ(r.tags, (std::vector<std::string>{"blah", "tagme", "stuff"}));
  EXPECT_EQ(r.bpf, "dst ip 10.0.0.1");
  EXPECT_EQ(r.snap, 1500u);
  EXPECT_EQ(r.packets, 50u);
  EXPECT_EQ(r.bytes, 1000u);
  EXPECT_EQ(r.duration_seconds, 60);
  EXPECT_EQ(r.timeout_seconds, 15);
  EXPECT_EQ(r.alertid, "655443");
  EXPECT_EQ(r.bucket, "mybucket");
  EXPECT_EQ(r.encryption, false);
  EXPECT_FALSE(r.from.has_value());  // no window: a live request, [now, now + duration)
  EXPECT_TRUE(r.id_generated);
  EXPECT_EQ(r.format, "pcapng");
}

TEST(AgentRequest, OlderMessagesNameOneInterfaceAsAStringAndAliasesAsAList) {
  AgentRequest r = parse_ok(R"({"nodere": "web[0-9]+", "interface": "eth0", "duration": 5})");
  EXPECT_EQ(r.interfaces, std::vector<std::string>{"eth0"});
  EXPECT_EQ(r.timeout_seconds, 10);  // the configured default
  r = parse_ok(R"({"node": "any", "alias": ["main", "public"]})");
  EXPECT_EQ(r.aliases, (std::vector<std::string>{"main", "public"}));
}

TEST(AgentRequest, AGeneratedIdDependsOnlyOnTheBody) {
  AgentRequest a = parse_ok(R"({"node":"n1","interface":"eth0"})");
  AgentRequest b = parse_ok(R"({"node":"n1","interface":"eth0"})");
  AgentRequest c = parse_ok(R"({"node":"n2","interface":"eth0"})");
  EXPECT_EQ(a.id, b.id);  // a redelivered request keeps its identity
  EXPECT_NE(a.id, c.id);
  EXPECT_EQ(parse_ok(R"({"id":"alert-42:1","node":"n1","interface":"eth0"})").id, "alert-42:1");
}

TEST(AgentRequest, WindowsFromToOrAroundAnInstant) {
  AgentRequest r = parse_ok(R"({"node":"n","interface":"eth0","from":"2026-11-30T10:00:00Z","to":1796032860})");
  ASSERT_TRUE(r.from && r.to);
  EXPECT_EQ(*r.from, 1796032800LL * kNanosPerSecond);
  EXPECT_EQ(*r.to, 1796032860LL * kNanosPerSecond);
  r = parse_ok(R"({"node":"n","interface":"eth0","at":"2026-11-30T10:00:00.5Z","before":60,"after":30})");
  EXPECT_EQ(*r.from, 1796032740LL * kNanosPerSecond + 500'000'000);
  EXPECT_EQ(*r.to, 1796032830LL * kNanosPerSecond + 500'000'000);
}

TEST(AgentRequest, BadFieldsAreNamedWithWhatIsAllowed) {
  struct Case {
    const char* body;
    const char* starts_with;
  };
  const Case cases[] = {
      {R"({"interface":"eth0"})", "node: give exactly one of node and nodere"},
      {R"({"node":"a","nodere":"b","interface":"eth0"})", "node: give exactly one"},
      {R"({"node":"a"})", "interface: give exactly one of interface and alias"},
      {R"({"node":"a","interface":"eth0","alias":["x"]})", "interface: give exactly one"},
      {R"({"node":"a","interface":[]})", "interface: an empty list"},
      {R"({"node":"a","interface":"../etc"})", "interface: '../etc' has characters"},
      {R"({"node":"a","interface":"averyveryverylongname"})", "interface: 'averyveryverylongname' is longer than 15"},
      {R"({"node":5,"interface":"eth0"})", "node: expected a string"},
      {R"({"nodere":"web(","interface":"eth0"})", "nodere: 'web(' is not a POSIX extended regular expression"},
      {R"({"node":"a","interface":"eth0","snap":"1500"})", "snap: expected a whole number"},
      {R"({"node":"a","interface":"eth0","snap":0})", "snap: 0 is under 1"},
      {R"({"node":"a","interface":"eth0","packets":50001})", "packets: 50001 is over the limit of 50000"},
      {R"({"node":"a","interface":"eth0","packets":18446744073709551615})", "packets: 18446744073709551615 is over"},
      {R"({"node":"a","interface":"eth0","duration":3601})", "duration: 3601 is over the limit of 3600"},
      {R"({"node":"a","interface":"eth0","timeout":2.5})", "timeout: expected a whole number"},
      {R"({"node":"a","interface":"eth0","bytes":-1})", "bytes: -1 is under 1"},
      {R"({"node":"a","interface":"eth0","from":"yesterday","to":"2026-11-30T10:00:00Z"})", "from: 'yesterday' is not"},
      {R"({"node":"a","interface":"eth0","from":"2026-11-30T10:00:00Z"})", "to: from and to go together"},
      {R"({"node":"a","interface":"eth0","from":20,"to":10})", "to: the window is empty or reversed"},
      {R"({"node":"a","interface":"eth0","at":20,"from":10,"to":30})", "at: give either from/to"},
      {R"({"node":"a","interface":"eth0","from":10,"to":30,"duration":5})", "duration: a request with a window"},
      {R"({"node":"a","interface":"eth0","format":"erf"})", "format: 'erf' is not pcapng or pcap"},
      {R"({"node":"a","interface":"eth0","at":9200000000,"after":31622400})", "after: the window would end after 2262"},
      {R"({"node":"a","interface":"eth0","at":10,"before":11})", "before: the window would start before 1970"},
      {R"j({"nodere":"((((.{255}){255}){255}){255})","interface":"eth0"})j", "nodere: '((((.{255}){255}){255}){255})': bounds"},
      {R"({"nodere":"(a)\\1","interface":"eth0"})", "nodere: '(a)\\1': bounds ({n}) and backslashes"},
      // Stacked or grouped repetitions make glibc's regcomp grow exponentially.
      {R"({"nodere":"sen+++++++++++++++++++++++++++sor","interface":"eth0"})", "nodere: 'sen++"},
      {R"({"nodere":"((a+)+)+","interface":"eth0"})", "nodere: '((a+)+)+': at most 8 of * + ?"},
      {R"({"nodere":"a?b?c?d?e?f?g?h?i?","interface":"eth0"})", "nodere: 'a?b?c?d?e?f?g?h?i?': at most 8"},
      {R"({"node":"a","interface":"eth0","destination":"../s3"})", "destination: '../s3' is not a destination name"},
      {R"({"node":"a","interface":"eth0","id":".hidden"})", "id: '.hidden' must be"},
      {R"({"node":"a","interface":"eth0","v":2})", "v: 2 is over the limit of 1"},
      {R"({"node":"a","interface":"eth0","packetdebug":"yes"})", "packetdebug: expected true or false"},
      {R"({"node":"a\u0001","interface":"eth0"})", "node: control characters"},
      {R"(["node"])", "message is not a JSON object"},
      {R"({"node":"a",)", "message is not JSON"},
  };
  for (const Case& c : cases) {
    std::string error = parse_error(c.body);
    EXPECT_EQ(error.rfind(c.starts_with, 0), 0u) << c.body << "\n  gave: " << error;
  }
}

TEST(AgentRequest, OversizeAndDeeplyNestedMessagesAreRefusedBeforeParsing) {
  AgentRequestLimits limits;
  limits.max_message_bytes = 100;
  std::string big = R"({"node":"a","interface":"eth0","bpf":")" + std::string(100, 'x') + "\"}";
  EXPECT_EQ(parse_error(big, limits), "message of " + std::to_string(big.size()) + " bytes is over the limit of 100");
  std::string deep = R"({"node":"a","interface":"eth0","x":)" + std::string(5000, '[') + std::string(5000, ']') + "}";
  EXPECT_EQ(parse_error(deep), "message nests deeper than 8 levels");
  // Brackets inside strings do not count.
  parse_ok(R"({"node":"a","interface":"eth0","bpf":"[[[[[[[[[[[[[[[[ \" {{{{{{{{{{"})");
}

TEST(AgentRequest, UnknownFieldsAreIgnored) {
  AgentRequest r = parse_ok(R"({"node":"a","interface":"eth0","future_field":{"x":[1,2]},"priority":"high"})");
  EXPECT_EQ(r.node, "a");
}

TEST(AgentRequest, NodeMatching) {
  EXPECT_TRUE(request_names_node(parse_ok(R"({"node":"any","interface":"eth0"})"), "sensor-3"));
  EXPECT_TRUE(request_names_node(parse_ok(R"({"node":"sensor-3","interface":"eth0"})"), "sensor-3"));
  EXPECT_FALSE(request_names_node(parse_ok(R"({"node":"sensor-3","interface":"eth0"})"), "sensor-30"));
  AgentRequest re = parse_ok(R"({"nodere":"sensor-[12]","interface":"eth0"})");
  EXPECT_TRUE(request_names_node(re, "sensor-1"));
  EXPECT_TRUE(request_names_node(re, "sensor-2"));
  EXPECT_FALSE(request_names_node(re, "sensor-3"));
  EXPECT_FALSE(request_names_node(re, "sensor-12"));  // the whole name must match
  EXPECT_FALSE(request_names_node(re, "xsensor-1"));
  AgentRequest alternation = parse_ok(R"({"nodere":"a|b","interface":"eth0"})");
  EXPECT_TRUE(request_names_node(alternation, "b"));
  EXPECT_FALSE(request_names_node(alternation, "ab"));  // the whole name, whichever branch
  // Every branch must match the whole name.
  AgentRequest branches = parse_ok(R"({"nodere":"sensor-1|web","interface":"eth0"})");
  EXPECT_FALSE(request_names_node(branches, "sensor-10"));
  EXPECT_TRUE(request_names_node(branches, "sensor-1"));
  EXPECT_TRUE(request_names_node(branches, "web"));
  EXPECT_FALSE(request_names_node(branches, "xweb"));
}

}  // namespace
}  // namespace pcap_ring
