#include "cli/keygen_command.h"

#include <iostream>
#include <memory>
#include <string>

#include "agent/request_keys.h"
#include "agent/request_signature.h"
#include "common/exit_codes.h"

namespace pcap_ring {
namespace {

struct KeygenArgs {
  std::string key_id;
  std::string directory = ".";
  bool hmac = false;
};

int run_keygen(const KeygenArgs& a) {
  if (!valid_key_id(a.key_id))
    throw UsageError("key id '" + a.key_id + "' is not " + std::string(kKeyIdRule));
  std::string error;
  bool exists = false;
  const bool made = a.hmac ? write_hmac_secret(a.directory, a.key_id, &error, &exists)
                           : write_ed25519_key_pair(a.directory, a.key_id, &error, &exists);
  if (!made) throw StartupError(kExitCantCreate, error);
  if (a.hmac) {
    std::cout << "keygen: " << a.directory << "/" << a.key_id << ".hmac (a shared secret: copy it, mode 0600, to the "
              << "trusted-keys.d of every node and sender)\n";
  } else {
    std::cout << "keygen: " << a.directory << "/" << a.key_id << ".key (private: keep it where requests are signed) and "
              << a.directory << "/" << a.key_id << ".pub (copy it to each node's trusted-keys.d)\n";
  }
  return kExitOk;
}

}  // namespace

Subcommand add_keygen_command(CLI::App& app) {
  auto a = std::make_shared<KeygenArgs>();
  CLI::App* cmd = app.add_subcommand("keygen", "Make a key pair (or a shared secret) for signing agent requests");
  cmd->add_option("key_id", a->key_id, "Key id: the file names KID.key and KID.pub, and the id requests name")->required();
  cmd->add_option("--dir", a->directory, "Directory to write the files to")->capture_default_str();
  cmd->add_flag("--hmac", a->hmac, "Make an HMAC-SHA256 shared secret KID.hmac instead of an Ed25519 key pair");
  return {cmd, [a] { return run_keygen(*a); }};
}

}  // namespace pcap_ring
