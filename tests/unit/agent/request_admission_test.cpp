// Admission end to end with keys and signatures made by the openssl command-line tool.
#include "agent/request_admission.h"

#include <gtest/gtest.h>
#include <sys/stat.h>


#include "agent/openssl_tool.h"
#include "support/test_support.h"

namespace pcap_ring {
namespace {

using testing::TempDir;
using testing::run_tool;
using testing::write_text_file;

constexpr NanoTime kSecond = kNanosPerSecond;

class RequestAdmission : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string keys_dir = dir_.file("keys");
    ASSERT_EQ(::mkdir(keys_dir.c_str(), 0755), 0);
    run_tool("openssl genpkey -algorithm ed25519 -out " + dir_.file("soc.key"));
    run_tool("openssl pkey -in " + dir_.file("soc.key") + " -pubout -out " + keys_dir + "/soc.pub");
    std::string error;
    ASSERT_TRUE(TrustedKeys::load(keys_dir, &keys_, &error)) << error;
    ASSERT_EQ(seen_.open(dir_.file("seen"), now_), 0);
  }

  BusMessage sign(const std::string& body) {
    write_text_file(dir_.file("input"), request_signing_input("soc", body));
    BusMessage m{body, "soc", "ed25519",
                 run_tool("openssl pkeyutl -sign -inkey " + dir_.file("soc.key") + " -rawin -in " + dir_.file("input") +
                     " | openssl base64 -A")};
    return m;
  }
  std::string body(const std::string& id, NanoTime ts) {
    return R"({"id":")" + id + R"(","ts":)" + std::to_string(ts / kSecond) +
           R"(,"node":"any","interface":"eth0","from":1796032700,"to":1796032760})";
  }

  TempDir dir_;
  TrustedKeys keys_;
  SeenRequests seen_;
  AdmissionPolicy policy_;
  NanoTime now_ = 1'796'032'800 * kSecond;
};

TEST_F(RequestAdmission, ASignedFreshRequestIsAcceptedOnce) {
  BusMessage m = sign(body("r1", now_));
  Admission a = admit_request(m, keys_, seen_, policy_, now_);
  ASSERT_TRUE(a.accepted) << a.reason;
  EXPECT_TRUE(a.signed_request);
  EXPECT_EQ(a.request.id, "r1");
  Admission replay = admit_request(m, keys_, seen_, policy_, now_ + kSecond);
  EXPECT_FALSE(replay.accepted);
  EXPECT_EQ(replay.reason, "id: 'r1' was already accepted (a replay)");
  // Still refused after a restart: the id was recorded durably.
  SeenRequests reopened;
  ASSERT_EQ(reopened.open(dir_.file("seen"), now_ + 2 * kSecond), 0);
  EXPECT_EQ(admit_request(m, keys_, reopened, policy_, now_ + 2 * kSecond).reason,
            "id: 'r1' was already accepted (a replay)");
}

TEST_F(RequestAdmission, ExpiredFutureForgedAndUnsignedRequestsAreRefusedWithTheReason) {
  EXPECT_EQ(admit_request(sign(body("old", now_ - 121 * kSecond)), keys_, seen_, policy_, now_).reason,
            "ts: -121 s from this node's clock, over the allowed skew of 120 s");
  EXPECT_EQ(admit_request(sign(body("future", now_ + 300 * kSecond)), keys_, seen_, policy_, now_).reason,
            "ts: 300 s from this node's clock, over the allowed skew of 120 s");
  BusMessage forged = sign(body("f1", now_));
  forged.body = body("f2", now_);  // another request under the first one's signature
  EXPECT_EQ(admit_request(forged, keys_, seen_, policy_, now_).reason,
            "the signature does not match the request (key 'soc')");
  BusMessage unsigned_message{R"({"node":"any","interface":"eth0","duration":5})", "", "", ""};
  EXPECT_EQ(admit_request(unsigned_message, keys_, seen_, policy_, now_).reason,
            "unsigned request (allow_unsigned is off)");
  BusMessage no_ts = sign(R"({"id":"n1","node":"any","interface":"eth0","duration":5})");
  EXPECT_EQ(admit_request(no_ts, keys_, seen_, policy_, now_).reason, "ts: a signed request needs its send time");
  BusMessage bad_algorithm = sign(body("a1", now_));
  bad_algorithm.algorithm = "none";
  EXPECT_EQ(admit_request(bad_algorithm, keys_, seen_, policy_, now_).reason,
            "signature algorithm: not ed25519 or hmac-sha256");
  BusMessage bad_key_id = sign(body("k1", now_));
  bad_key_id.key_id = "soc\nforged log line";
  EXPECT_EQ(admit_request(bad_key_id, keys_, seen_, policy_, now_).reason,
            "key id: not 1-64 letters, digits, '.', '_' or '-' (not starting with '.')");
  BusMessage endless = sign(R"({"id":"w1","ts":)" + std::to_string(now_ / kSecond) +
                            R"(,"node":"any","interface":"eth0","from":1796032700,"to":9200000000})");
  EXPECT_EQ(admit_request(endless, keys_, seen_, policy_, now_).reason.rfind("to: the window runs ", 0), 0u);
  EXPECT_EQ(seen_.size(), 0u);  // nothing refused was recorded
  // The agent keeps serving: a good request after all of these is accepted.
  EXPECT_TRUE(admit_request(sign(body("good", now_)), keys_, seen_, policy_, now_).accepted);
}

TEST_F(RequestAdmission, AnIdIsRememberedWhileItsRequestCouldStillBeAccepted) {
  BusMessage m = sign(body("r9", now_ + 100 * kSecond));  // sent "in the future", within the skew
  ASSERT_TRUE(admit_request(m, keys_, seen_, policy_, now_).accepted);
  // 219 s later the request is still within the skew of its ts: a replay, even after a restart.
  SeenRequests reopened;
  ASSERT_EQ(reopened.open(dir_.file("seen"), now_ + 219 * kSecond), 0);
  EXPECT_EQ(admit_request(m, keys_, reopened, policy_, now_ + 219 * kSecond).reason,
            "id: 'r9' was already accepted (a replay)");
  // Once past the skew it is refused for its age, and its id need not be kept.
  SeenRequests later;
  ASSERT_EQ(later.open(dir_.file("seen"), now_ + 221 * kSecond), 0);
  EXPECT_FALSE(later.seen("r9"));
  EXPECT_EQ(admit_request(m, keys_, later, policy_, now_ + 221 * kSecond).reason,
            "ts: -121 s from this node's clock, over the allowed skew of 120 s");
}

TEST_F(RequestAdmission, UnsignedPcapdaemonMessagesOnlyWhereAllowed) {
  policy_.allow_unsigned = true;
  BusMessage m{R"({"node":"any","interface":"eth0","duration":5,"packets":50})", "", "", ""};
  Admission a = admit_request(m, keys_, seen_, policy_, now_);
  ASSERT_TRUE(a.accepted) << a.reason;
  EXPECT_FALSE(a.signed_request);
  EXPECT_TRUE(a.request.id_generated);
  // The same message again within the remembered time is a replay of the same request.
  EXPECT_FALSE(admit_request(m, keys_, seen_, policy_, now_ + kSecond).accepted);
}

}  // namespace
}  // namespace pcap_ring
