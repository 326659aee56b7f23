// Signatures made by the openssl command-line tool, as an operator's tooling would make them,
// verified by the agent's code.
#include "agent/request_signature.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "agent/openssl_tool.h"
#include "support/test_support.h"

namespace pcap_ring {
namespace {

using testing::TempDir;
using testing::run_tool;
using testing::read_text_file;
using testing::write_text_file;

class RequestSignature : public ::testing::Test {
 protected:
  void SetUp() override {
    keys_dir_ = dir_.file("trusted-keys.d");
    ASSERT_EQ(::mkdir(keys_dir_.c_str(), 0755), 0);
    run_tool("openssl genpkey -algorithm ed25519 -out " + dir_.file("soc.key") + " 2>&1");
    run_tool("openssl pkey -in " + dir_.file("soc.key") + " -pubout -out " + keys_dir_ + "/soc.pub");
    run_tool("openssl genpkey -algorithm ed25519 -out " + dir_.file("other.key") + " 2>&1");
  }

  // The Ed25519 signature openssl makes of the signing input, base64.
  std::string ed25519(const std::string& key_file, const std::string& key_id, const std::string& body) {
    write_text_file(dir_.file("input"), request_signing_input(key_id, body));
    return run_tool("openssl pkeyutl -sign -inkey " + dir_.file(key_file) + " -rawin -in " + dir_.file("input") +
                    " | openssl base64 -A");
  }
  std::string hmac(const std::string& secret, const std::string& key_id, const std::string& body) {
    write_text_file(dir_.file("input"), request_signing_input(key_id, body));
    return run_tool("openssl dgst -sha256 -mac HMAC -macopt key:" + secret + " -binary " + dir_.file("input") +
                    " | openssl base64 -A");
  }
  TrustedKeys load() {
    TrustedKeys keys;
    std::string error;
    EXPECT_TRUE(TrustedKeys::load(keys_dir_, &keys, &error)) << error;
    return keys;
  }

  TempDir dir_;
  std::string keys_dir_;
  const std::string body_ = R"({"id":"r1","node":"any","interface":"eth0","from":1,"to":2})";
};

TEST_F(RequestSignature, Ed25519SignatureFromOpensslVerifies) {
  TrustedKeys keys = load();
  EXPECT_EQ(keys.size(), 1u);
  std::string sig = ed25519("soc.key", "soc", body_);
  std::string reason;
  EXPECT_TRUE(keys.verify(SignatureAlgorithm::kEd25519, "soc", body_, sig, &reason)) << reason;
}

TEST_F(RequestSignature, ForgeriesAreRejectedWithTheReason) {
  TrustedKeys keys = load();
  std::string sig = ed25519("soc.key", "soc", body_);
  std::string reason;
  // One byte of the body changed: the exact bytes are signed, not a canonical form.
  std::string changed = body_;
  changed.insert(changed.size() - 1, " ");
  EXPECT_FALSE(keys.verify(SignatureAlgorithm::kEd25519, "soc", changed, sig, &reason));
  EXPECT_EQ(reason, "the signature does not match the request (key 'soc')");
  // Signed by a key the node does not trust, under a trusted key's id.
  EXPECT_FALSE(keys.verify(SignatureAlgorithm::kEd25519, "soc", body_, ed25519("other.key", "soc", body_), &reason));
  EXPECT_EQ(reason, "the signature does not match the request (key 'soc')");
  // The key id is signed too: the same signature under another id fails.
  EXPECT_FALSE(keys.verify(SignatureAlgorithm::kEd25519, "other", body_, sig, &reason));
  EXPECT_EQ(reason, "unknown key id 'other'");
  EXPECT_FALSE(keys.verify(SignatureAlgorithm::kEd25519, "soc", body_, "not base64!", &reason));
  EXPECT_EQ(reason, "the signature is not base64");
  EXPECT_FALSE(keys.verify(SignatureAlgorithm::kHmacSha256, "soc", body_, sig, &reason));
  EXPECT_EQ(reason, "key 'soc' is not a key of the signature's algorithm");
  EXPECT_FALSE(keys.verify(SignatureAlgorithm::kEd25519, "soc", body_, "AAAA", &reason));  // wrong length
}

TEST_F(RequestSignature, HmacSecretsVerifyAndMustBePrivate) {
  const std::string secret = "0123456789abcdef0123456789abcdef-secret";
  write_text_file(keys_dir_ + "/ops.hmac", secret + "\n", 0600);
  TrustedKeys keys = load();
  EXPECT_EQ(keys.size(), 2u);
  std::string reason;
  EXPECT_TRUE(keys.verify(SignatureAlgorithm::kHmacSha256, "ops", body_, hmac(secret, "ops", body_), &reason)) << reason;
  EXPECT_FALSE(keys.verify(SignatureAlgorithm::kHmacSha256, "ops", body_, hmac(secret + "x", "ops", body_), &reason));
  EXPECT_FALSE(keys.verify(SignatureAlgorithm::kEd25519, "ops", body_, hmac(secret, "ops", body_), &reason));

  ASSERT_EQ(::chmod((keys_dir_ + "/ops.hmac").c_str(), 0640), 0);
  std::string error;
  EXPECT_FALSE(TrustedKeys::load(keys_dir_, &keys, &error));
  EXPECT_EQ(error, keys_dir_ + "/ops.hmac: a secret must not be accessible to group or others (chmod 600)");
}

TEST_F(RequestSignature, UnsafeOrWrongKeyFilesAreRefusedByName) {
  std::string error;
  TrustedKeys keys;
  write_text_file(keys_dir_ + "/short.hmac", "too short\n", 0600);
  EXPECT_FALSE(TrustedKeys::load(keys_dir_, &keys, &error));
  EXPECT_EQ(error, keys_dir_ + "/short.hmac: a secret of 9 bytes; at least 32 are needed");
  ::unlink((keys_dir_ + "/short.hmac").c_str());

  run_tool("openssl genpkey -algorithm rsa -pkeyopt rsa_keygen_bits:1024 -out " + dir_.file("rsa.key") + " 2>/dev/null");
  run_tool("openssl pkey -in " + dir_.file("rsa.key") + " -pubout -out " + keys_dir_ + "/rsa.pub");
  EXPECT_FALSE(TrustedKeys::load(keys_dir_, &keys, &error));
  EXPECT_EQ(error, keys_dir_ + "/rsa.pub: not an Ed25519 public key (make one with `packet-capture keygen`)");
  ::unlink((keys_dir_ + "/rsa.pub").c_str());

  ASSERT_EQ(::symlink(dir_.file("soc.key").c_str(), (keys_dir_ + "/planted.pub").c_str()), 0);
  EXPECT_FALSE(TrustedKeys::load(keys_dir_, &keys, &error));
  EXPECT_NE(error.find("planted.pub"), std::string::npos) << error;
  ::unlink((keys_dir_ + "/planted.pub").c_str());

  write_text_file(keys_dir_ + "/soc.hmac", std::string(40, 's'), 0600);
  EXPECT_FALSE(TrustedKeys::load(keys_dir_, &keys, &error));
  EXPECT_EQ(error, keys_dir_ + "/soc.pub and soc.hmac: two keys with one id; refused");
  ::unlink((keys_dir_ + "/soc.hmac").c_str());

  write_text_file(keys_dir_ + "/README", "not a key");  // other names are ignored
  EXPECT_TRUE(TrustedKeys::load(keys_dir_, &keys, &error)) << error;
  EXPECT_EQ(keys.size(), 1u);
}

TEST_F(RequestSignature, KeysOthersCouldChangeAreRefused) {
  std::string error;
  TrustedKeys keys;
  ASSERT_EQ(::chmod((keys_dir_ + "/soc.pub").c_str(), 0666), 0);
  EXPECT_FALSE(TrustedKeys::load(keys_dir_, &keys, &error));
  EXPECT_EQ(error, keys_dir_ + "/soc.pub: writable by group or others, or owned by another user; refused");
  ASSERT_EQ(::chmod((keys_dir_ + "/soc.pub").c_str(), 0644), 0);
  ASSERT_EQ(::chown((keys_dir_ + "/soc.pub").c_str(), 4242, 4242), 0);
  EXPECT_FALSE(TrustedKeys::load(keys_dir_, &keys, &error));
  EXPECT_EQ(error, keys_dir_ + "/soc.pub: writable by group or others, or owned by another user; refused");
  ASSERT_EQ(::chown((keys_dir_ + "/soc.pub").c_str(), 0, 0), 0);
  ASSERT_EQ(::chmod(keys_dir_.c_str(), 0777), 0);  // anyone could plant a key here
  EXPECT_FALSE(TrustedKeys::load(keys_dir_, &keys, &error));
  EXPECT_EQ(error, "trusted key directory '" + keys_dir_ +
                       "' is writable by group or others, or owned by another user; refused");
  ASSERT_EQ(::chmod(keys_dir_.c_str(), 0755), 0);
  EXPECT_TRUE(TrustedKeys::load(keys_dir_, &keys, &error)) << error;
}

TEST(RequestSigningInput, ContextKeyIdAndExactBody) {
  EXPECT_EQ(request_signing_input("soc", "{}"), "packet-capture request v1\nsoc\n{}");
  EXPECT_TRUE(valid_key_id("soc-2026.a_b"));
  EXPECT_FALSE(valid_key_id(".soc"));
  EXPECT_FALSE(valid_key_id("a/b"));
  EXPECT_FALSE(valid_key_id(""));
  EXPECT_FALSE(valid_key_id(std::string(65, 'a')));
}

}  // namespace
}  // namespace pcap_ring
