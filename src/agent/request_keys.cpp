#include "agent/request_keys.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "agent/request_signature.h"
#include "agent/openssl_handles.h"
#include "common/unique_fd.h"

namespace pcap_ring {
namespace {

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

// Creates DIR/NAME exclusively (never through a symlink) with `mode` and writes `content`.
bool create_file(const std::string& directory, const std::string& name, const std::string& content, mode_t mode,
                 std::string* error, bool* exists) {
  const std::string path = directory + "/" + name;
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
  if (!fd.valid()) {
    *exists = errno == EEXIST;
    *error = path + (*exists ? ": exists already; not replaced" : ": cannot create: " + errno_text(errno));
    return false;
  }
  int err = write_all(fd.get(), content.data(), content.size());
  if (err == 0 && ::fchmod(fd.get(), mode) != 0) err = errno;  // whatever the umask
  if (err == 0 && ::fsync(fd.get()) != 0) err = errno;
  if (err != 0) {
    ::unlink(path.c_str());
    *error = path + ": cannot write: " + errno_text(err);
    return false;
  }
  return true;
}

bool check_key_id(const std::string& key_id, std::string* error) {
  if (valid_key_id(key_id)) return true;
  *error = "key id '" + key_id + "' is not " + std::string(kKeyIdRule);
  return false;
}

}  // namespace

bool write_ed25519_key_pair(const std::string& directory, const std::string& key_id, std::string* error, bool* exists) {
  *exists = false;
  if (!check_key_id(key_id, error)) return false;
  PkeyHandle key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  BioHandle private_bio(BIO_new(BIO_s_mem()));
  BioHandle public_bio(BIO_new(BIO_s_mem()));
  if (!key || !private_bio || !public_bio ||
      PEM_write_bio_PrivateKey(private_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1 ||
      PEM_write_bio_PUBKEY(public_bio.get(), key.get()) != 1) {
    *error = "cannot make an Ed25519 key pair";
    return false;
  }
  std::string private_pem = bio_text(private_bio.get());
  bool made = create_file(directory, key_id + ".key", private_pem, 0600, error, exists);
  if (made && !create_file(directory, key_id + ".pub", bio_text(public_bio.get()), 0644, error, exists)) {
    ::unlink((directory + "/" + key_id + ".key").c_str());  // no private key without its public half
    made = false;
  }
  OPENSSL_cleanse(private_pem.data(), private_pem.size());
  return made;
}

bool write_hmac_secret(const std::string& directory, const std::string& key_id, std::string* error, bool* exists) {
  *exists = false;
  if (!check_key_id(key_id, error)) return false;
  unsigned char random[32];
  if (RAND_bytes(random, sizeof random) != 1) {
    *error = "cannot get random bytes for a secret";
    return false;
  }
  static const char* hex = "0123456789abcdef";
  std::string secret;
  for (unsigned char b : random) {
    secret += hex[b >> 4];
    secret += hex[b & 15];
  }
  secret += '\n';
  OPENSSL_cleanse(random, sizeof random);
  const bool made = create_file(directory, key_id + ".hmac", secret, 0600, error, exists);
  OPENSSL_cleanse(secret.data(), secret.size());
  return made;
}

namespace {
std::string base64_of(const unsigned char* data, std::size_t size) {
  std::string encoded(4 * ((size + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()), data, static_cast<int>(size));
  encoded.resize(static_cast<std::size_t>(n));
  return encoded;
}
}  // namespace

bool sign_request_ed25519(std::string_view private_key_pem, std::string_view key_id, std::string_view body,
                          std::string* signature_base64, std::string* error) {
  BioHandle bio(BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size())));
  PkeyHandle key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key || EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519) {
    *error = "not an Ed25519 private key (PEM)";
    return false;
  }
  const std::string input = request_signing_input(key_id, body);
  unsigned char signature[64];
  std::size_t size = sizeof signature;
  MdCtxHandle ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), signature, &size, reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    *error = "cannot sign";
    return false;
  }
  *signature_base64 = base64_of(signature, size);
  return true;
}

bool sign_request_hmac(std::string_view secret, std::string_view key_id, std::string_view body,
                       std::string* signature_base64, std::string* error) {
  if (!secret.empty() && secret.back() == '\n') secret.remove_suffix(1);  // as TrustedKeys reads it
  if (secret.size() < 32) {
    *error = "a secret of " + std::to_string(secret.size()) + " bytes; at least 32 are needed";
    return false;
  }
  const std::string input = request_signing_input(key_id, body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &size) == nullptr) {
    *error = "cannot compute the HMAC";
    return false;
  }
  *signature_base64 = base64_of(mac, size);
  return true;
}

}  // namespace pcap_ring
