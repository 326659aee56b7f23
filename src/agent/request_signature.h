// Who may command a node: requests are signed over a fixed context string, the key id and the
// exact body bytes (no JSON canonicalisation, so what was signed is what is parsed). Ed25519
// is the default: nodes hold only public keys (trusted-keys.d/KID.pub), so a compromised node
// cannot sign for the fleet. HMAC-SHA256 (trusted-keys.d/KID.hmac, readable by its owner
// only) is for a single trust domain, where every node holding the secret may also sign.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace pcap_ring {

enum class SignatureAlgorithm { kEd25519, kHmacSha256 };

// "ed25519" or "hmac-sha256"; nullopt for anything else.
std::optional<SignatureAlgorithm> parse_signature_algorithm(std::string_view name);

// The bytes a signature covers: the context line, the key id line, then the body as sent.
std::string request_signing_input(std::string_view key_id, std::string_view body);

// A key id names a file: 1-64 letters, digits, '.', '_' or '-', not starting with '.'.
bool valid_key_id(std::string_view key_id);
// That rule, for error messages.
inline constexpr std::string_view kKeyIdRule = "1-64 letters, digits, '.', '_' or '-' (not starting with '.')";

class TrustedKeys {
 public:
  TrustedKeys();
  ~TrustedKeys();
  TrustedKeys(TrustedKeys&&) noexcept;
  TrustedKeys& operator=(TrustedKeys&&) noexcept;

  // Loads every KID.pub (an Ed25519 public key, PEM) and KID.hmac (a secret of at least 32
  // bytes; one trailing newline is not part of it) of `directory`; other names are ignored.
  // False with *error naming the directory or the first file that is unsafe (writable by
  // group or others or owned by another user than root or this process's, a symlink, a
  // secret others can read) or not a key of its kind.
  [[nodiscard]] static bool load(const std::string& directory, TrustedKeys* keys, std::string* error);
  [[nodiscard]] bool add_ed25519_pem(const std::string& key_id, std::string_view pem, std::string* error);
  [[nodiscard]] bool add_hmac_secret(const std::string& key_id, std::string_view secret, std::string* error);

  // True when `signature_base64` is `key_id`'s valid signature of `body` by `algorithm`;
  // else false with *reason (unknown key, wrong algorithm for the key, bad encoding, mismatch).
  bool verify(SignatureAlgorithm algorithm, std::string_view key_id, std::string_view body,
              std::string_view signature_base64, std::string* reason) const;

  std::size_t size() const { return keys_.size(); }

 private:
  struct Key;
  std::map<std::string, std::unique_ptr<Key>, std::less<>> keys_;
};

}  // namespace pcap_ring
