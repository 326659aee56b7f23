// Keys made by the agent's key maker, checked against the openssl command-line tool both ways.
#include "agent/request_keys.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>

#include "agent/request_signature.h"
#include "support/test_support.h"

namespace pcap_ring {
namespace {

using testing::TempDir;
using testing::read_text_file;
using testing::write_text_file;

int run_status(const std::string& command) { return ::system((command + " >/dev/null 2>&1").c_str()); }

mode_t mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

TEST(RequestKeys, KeyPairSignsWhatOpensslAndTheNodeVerify) {
  TempDir dir;
  std::string error;
  bool exists = false;
  ASSERT_TRUE(write_ed25519_key_pair(dir.path(), "soc", &error, &exists)) << error;
  EXPECT_EQ(mode_of(dir.file("soc.key")), 0600u);
  EXPECT_EQ(mode_of(dir.file("soc.pub")), 0644u);
  EXPECT_EQ(run_status("openssl pkey -in " + dir.file("soc.key") + " -noout"), 0);

  const std::string body = R"({"id":"r1","node":"any","interface":"eth0","duration":5})";
  std::string signature;
  ASSERT_TRUE(sign_request_ed25519(read_text_file(dir.file("soc.key")), "soc", body, &signature, &error)) << error;
  // openssl verifies our signature with the public key file.
  write_text_file(dir.file("input"), request_signing_input("soc", body));
  write_text_file(dir.file("sig.b64"), signature + "\n");
  ASSERT_EQ(run_status("openssl base64 -d -in " + dir.file("sig.b64") + " -out " + dir.file("sig")), 0);
  EXPECT_EQ(run_status("openssl pkeyutl -verify -pubin -inkey " + dir.file("soc.pub") + " -rawin -in " +
                       dir.file("input") + " -sigfile " + dir.file("sig")),
            0);
  // And the node, which loads the directory: the .key beside the .pub is not a trusted key.
  TrustedKeys keys;
  ASSERT_TRUE(TrustedKeys::load(dir.path(), &keys, &error)) << error;
  EXPECT_EQ(keys.size(), 1u);
  std::string reason;
  EXPECT_TRUE(keys.verify(SignatureAlgorithm::kEd25519, "soc", body, signature, &reason)) << reason;
  EXPECT_FALSE(keys.verify(SignatureAlgorithm::kEd25519, "soc", body + " ", signature, &reason));
}

TEST(RequestKeys, NothingIsReplacedAndBadIdsAreRefused) {
  TempDir dir;
  std::string error;
  bool exists = false;
  ASSERT_TRUE(write_ed25519_key_pair(dir.path(), "soc", &error, &exists));
  const std::string first = read_text_file(dir.file("soc.key"));
  EXPECT_FALSE(write_ed25519_key_pair(dir.path(), "soc", &error, &exists));
  EXPECT_TRUE(exists);
  EXPECT_EQ(error, dir.file("soc.key") + ": exists already; not replaced");
  EXPECT_EQ(read_text_file(dir.file("soc.key")), first);
  EXPECT_FALSE(write_ed25519_key_pair(dir.path(), "../soc", &error, &exists));
  EXPECT_FALSE(exists);
  // A planted symlink is not followed.
  ASSERT_EQ(::symlink(dir.file("elsewhere").c_str(), dir.file("x.key").c_str()), 0);
  EXPECT_FALSE(write_ed25519_key_pair(dir.path(), "x", &error, &exists));
  EXPECT_FALSE(testing::read_text_file(dir.file("x.key")).size() > 0);
  struct stat st {};
  EXPECT_NE(::stat(dir.file("elsewhere").c_str(), &st), 0);
}

TEST(RequestKeys, HmacSecretIsPrivateAndVerifiesOpensslSignatures) {
  TempDir dir;
  std::string error;
  bool exists = false;
  ASSERT_TRUE(write_hmac_secret(dir.path(), "ops", &error, &exists)) << error;
  EXPECT_EQ(mode_of(dir.file("ops.hmac")), 0600u);
  std::string secret = read_text_file(dir.file("ops.hmac"));
  ASSERT_EQ(secret.size(), 65u);
  secret.pop_back();
  TrustedKeys keys;
  ASSERT_TRUE(TrustedKeys::load(dir.path(), &keys, &error)) << error;
  const std::string body = R"({"id":"r2"})";
  write_text_file(dir.file("input"), request_signing_input("ops", body));
  ASSERT_EQ(run_status("openssl dgst -sha256 -mac HMAC -macopt key:" + secret + " -binary " + dir.file("input") +
                       " | openssl base64 -A -out " + dir.file("mac")),
            0);
  std::string mac = read_text_file(dir.file("mac"));
  while (!mac.empty() && mac.back() == '\n') mac.pop_back();
  std::string reason;
  EXPECT_TRUE(keys.verify(SignatureAlgorithm::kHmacSha256, "ops", body, mac, &reason)) << reason;
  // The sender's side (`packet-capture request --key ops.hmac`) makes the same MAC, from the
  // file as written (its trailing newline is not part of the secret).
  std::string signed_mac;
  ASSERT_TRUE(sign_request_hmac(read_text_file(dir.file("ops.hmac")), "ops", body, &signed_mac, &error)) << error;
  EXPECT_EQ(signed_mac, mac);
  EXPECT_FALSE(sign_request_hmac("short", "ops", body, &signed_mac, &error));
  EXPECT_NE(error.find("at least 32"), std::string::npos) << error;
}

}  // namespace
}  // namespace pcap_ring
