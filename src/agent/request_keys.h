// Making request keys and signing requests: what `packet-capture keygen` writes and what a
// sender (`packet-capture request`) signs with. The verifying side is request_signature.
#pragma once

#include <string>
#include <string_view>

namespace pcap_ring {

// Writes DIR/KID.key (the Ed25519 private key, PKCS#8 PEM, mode 0600) and DIR/KID.pub (its
// public key, PEM, for the nodes' trusted-keys.d). Never replaces a file: false with *error
// (and *exists set) when either is there already, or on any other failure.
[[nodiscard]] bool write_ed25519_key_pair(const std::string& directory, const std::string& key_id, std::string* error,
                                          bool* exists);

// Writes DIR/KID.hmac: 32 random bytes as 64 hex digits, mode 0600. Same rules.
[[nodiscard]] bool write_hmac_secret(const std::string& directory, const std::string& key_id, std::string* error,
                                     bool* exists);

// The base64 Ed25519 signature of request_signing_input(key_id, body) with a PEM private key.
[[nodiscard]] bool sign_request_ed25519(std::string_view private_key_pem, std::string_view key_id,
                                        std::string_view body, std::string* signature_base64, std::string* error);

// The base64 HMAC-SHA256 of request_signing_input(key_id, body) with a KID.hmac secret (one
// trailing newline is not part of it, as for the verifying side).
[[nodiscard]] bool sign_request_hmac(std::string_view secret, std::string_view key_id, std::string_view body,
                                     std::string* signature_base64, std::string* error);

}  // namespace pcap_ring
