// Reading a secret (CloudShark token, S3 keys) for a built-in hook stage.
//
// Contract: a systemd credential wins — `$CREDENTIALS_DIRECTORY/<credential>` when that file
// exists (systemd's LoadCredential= made it private to the service). Otherwise the secret
// comes from the configured file, which must be a regular file owned by root or by the
// effective user and give no access to group or others (mode & 077 == 0): a secret others can
// read is refused rather than used. One trailing newline ("\n" or "\r\n") is removed. An empty
// secret is refused. Errors are one-line ConfigError (exit 78) naming the file and the
// setting, never the secret's value; the value is never logged.
#pragma once

#include <map>
#include <string>

namespace pcap_ring {

struct SecretSpec {
  std::string credential;  // name under $CREDENTIALS_DIRECTORY ("cloudshark-token")
  std::string file;        // configured fallback path ("" if none)
  std::string setting;     // where `file` was set, for messages ("[cloudshark] token_file")
};

// Throws ConfigError when neither source gives a usable secret.
std::string read_secret(const SecretSpec& spec, const std::map<std::string, std::string>& environment);

}  // namespace pcap_ring
