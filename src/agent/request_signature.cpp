#include "agent/request_signature.h"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "common/safe_open.h"
#include "agent/openssl_handles.h"
#include "common/unique_fd.h"

namespace pcap_ring {
namespace {

constexpr std::string_view kContext = "packet-capture request v1";
constexpr std::size_t kMaxKeyFile = 16 * 1024;
constexpr std::size_t kMinHmacSecret = 32;


bool ends_with(std::string_view s, std::string_view tail) {
  return s.size() > tail.size() && s.substr(s.size() - tail.size()) == tail;
}

// Strict base64 (RFC 4648, padded): nullopt for anything else.
std::optional<std::string> decode_base64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0 || text.size() > 1024) return std::nullopt;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
    if (c == '=') ok = i >= text.size() - 2 && (i == text.size() - 1 || text[i + 1] == '=');
    if (!ok) return std::nullopt;
  }
  std::string out(text.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  std::size_t padding = (text.back() == '=') + (text.size() > 1 && text[text.size() - 2] == '=');
  out.resize(static_cast<std::size_t>(n) - padding);
  return out;
}

// Whoever can change a trusted key, or the directory holding it, can command this node: only
// its owner (root or the agent's own user) may write it.
bool others_could_change(const struct stat& st) {
  return (st.st_mode & 022) != 0 || (st.st_uid != 0 && st.st_uid != ::geteuid());
}

bool read_key_file(int dir_fd, const std::string& name, bool secret, std::string* content, std::string* error) {
  std::string why;
  UniqueFd fd = open_regular_at(dir_fd, name, O_RDONLY, &why);
  if (!fd.valid()) {
    *error = name + ": " + why;
    return false;
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    *error = name + ": cannot stat: " + errno_text(errno);
    return false;
  }
  if (others_could_change(st)) {
    *error = name + ": writable by group or others, or owned by another user; refused";
    return false;
  }
  if (secret && (st.st_mode & 077) != 0) {
    *error = name + ": a secret must not be accessible to group or others (chmod 600)";
    return false;
  }
  if (st.st_size > static_cast<off_t>(kMaxKeyFile)) {
    *error = name + ": larger than " + std::to_string(kMaxKeyFile) + " bytes, not a key";
    return false;
  }
  content->clear();
  if (int err = read_to_end(fd.get(), content)) {
    *error = name + ": cannot read: " + errno_text(err);
    return false;
  }
  if (content->size() > kMaxKeyFile) {  // grew since fstat
    *error = name + ": larger than " + std::to_string(kMaxKeyFile) + " bytes, not a key";
    return false;
  }
  return true;
}

}  // namespace

struct TrustedKeys::Key {
  SignatureAlgorithm algorithm = SignatureAlgorithm::kEd25519;
  PkeyHandle public_key;
  std::string secret;
  ~Key() { OPENSSL_cleanse(secret.data(), secret.size()); }
};

std::optional<SignatureAlgorithm> parse_signature_algorithm(std::string_view name) {
  if (name == "ed25519") return SignatureAlgorithm::kEd25519;
  if (name == "hmac-sha256") return SignatureAlgorithm::kHmacSha256;
  return std::nullopt;
}

std::string request_signing_input(std::string_view key_id, std::string_view body) {
  std::string input;
  input.reserve(kContext.size() + key_id.size() + body.size() + 2);
  input.append(kContext).append("\n").append(key_id).append("\n").append(body);
  return input;
}

bool valid_key_id(std::string_view key_id) {
  if (key_id.empty() || key_id.size() > 64 || key_id[0] == '.') return false;
  for (char c : key_id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

TrustedKeys::TrustedKeys() = default;
TrustedKeys::~TrustedKeys() = default;
TrustedKeys::TrustedKeys(TrustedKeys&&) noexcept = default;
TrustedKeys& TrustedKeys::operator=(TrustedKeys&&) noexcept = default;

bool TrustedKeys::add_ed25519_pem(const std::string& key_id, std::string_view pem, std::string* error) {
  if (!valid_key_id(key_id)) {
    *error = "key id '" + key_id + "' is not " + std::string(kKeyIdRule);
    return false;
  }
  BioHandle bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyHandle key(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) {
    *error = key_id + ".pub: not a PEM public key";
    return false;
  }
  if (EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519) {
    *error = key_id + ".pub: not an Ed25519 public key (make one with `packet-capture keygen`)";
    return false;
  }
  auto entry = std::make_unique<Key>();
  entry->algorithm = SignatureAlgorithm::kEd25519;
  entry->public_key = std::move(key);
  keys_[key_id] = std::move(entry);
  return true;
}

bool TrustedKeys::add_hmac_secret(const std::string& key_id, std::string_view secret, std::string* error) {
  if (!valid_key_id(key_id)) {
    *error = "key id '" + key_id + "' is not " + std::string(kKeyIdRule);
    return false;
  }
  if (!secret.empty() && secret.back() == '\n') secret.remove_suffix(1);
  if (secret.size() < kMinHmacSecret) {
    *error = key_id + ".hmac: a secret of " + std::to_string(secret.size()) + " bytes; at least " +
             std::to_string(kMinHmacSecret) + " are needed";
    return false;
  }
  auto entry = std::make_unique<Key>();
  entry->algorithm = SignatureAlgorithm::kHmacSha256;
  entry->secret.assign(secret);
  keys_[key_id] = std::move(entry);
  return true;
}

bool TrustedKeys::load(const std::string& directory, TrustedKeys* keys, std::string* error) {
  UniqueFd dir(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir.valid()) {
    *error = "cannot open trusted key directory '" + directory + "': " + errno_text(errno);
    return false;
  }
  struct stat st {};
  if (::fstat(dir.get(), &st) != 0) {
    *error = "cannot stat '" + directory + "': " + errno_text(errno);
    return false;
  }
  if (others_could_change(st)) {
    *error = "trusted key directory '" + directory + "' is writable by group or others, or owned by another user; refused";
    return false;
  }
  std::vector<std::string> names;
  {
    UniqueFd listing(::dup(dir.get()));
    DIR* d = listing.valid() ? ::fdopendir(listing.get()) : nullptr;
    if (!d) {
      *error = "cannot list '" + directory + "': " + errno_text(errno);
      return false;
    }
    listing.release();
    while (dirent* e = ::readdir(d)) names.emplace_back(e->d_name);
    ::closedir(d);
  }
  TrustedKeys loaded;
  for (const std::string& name : names) {
    const bool pub = ends_with(name, ".pub");
    const bool hmac = ends_with(name, ".hmac");
    if ((!pub && !hmac) || name[0] == '.') continue;
    const std::string key_id = name.substr(0, name.size() - (pub ? 4 : 5));
    if (loaded.keys_.count(key_id) != 0) {  // a .pub and a .hmac: which one is meant is not ours to guess
      *error = directory + "/" + key_id + ".pub and " + key_id + ".hmac: two keys with one id; refused";
      return false;
    }
    std::string content;
    std::string why;
    if (!read_key_file(dir.get(), name, hmac, &content, &why) ||
        !(pub ? loaded.add_ed25519_pem(key_id, content, &why) : loaded.add_hmac_secret(key_id, content, &why))) {
      OPENSSL_cleanse(content.data(), content.size());
      *error = directory + "/" + why;
      return false;
    }
    OPENSSL_cleanse(content.data(), content.size());
  }
  *keys = std::move(loaded);
  return true;
}

bool TrustedKeys::verify(SignatureAlgorithm algorithm, std::string_view key_id, std::string_view body,
                         std::string_view signature_base64, std::string* reason) const {
  auto it = keys_.find(key_id);
  if (it == keys_.end()) {
    *reason = "unknown key id '" + std::string(key_id.substr(0, 64)) + "'";
    return false;
  }
  const Key& key = *it->second;
  if (key.algorithm != algorithm) {
    *reason = "key '" + std::string(key_id) + "' is not a key of the signature's algorithm";
    return false;
  }
  auto signature = decode_base64(signature_base64);
  if (!signature) {
    *reason = "the signature is not base64";
    return false;
  }
  const std::string input = request_signing_input(key_id, body);
  const auto* data = reinterpret_cast<const unsigned char*>(input.data());
  const auto* sig = reinterpret_cast<const unsigned char*>(signature->data());
  bool good = false;
  if (algorithm == SignatureAlgorithm::kEd25519) {
    MdCtxHandle ctx(EVP_MD_CTX_new());
    good = ctx && signature->size() == 64 &&
           EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.public_key.get()) == 1 &&
           EVP_DigestVerify(ctx.get(), sig, signature->size(), data, input.size()) == 1;
  } else {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_size = 0;
    good = HMAC(EVP_sha256(), key.secret.data(), static_cast<int>(key.secret.size()), data, input.size(), mac,
                &mac_size) != nullptr &&
           signature->size() == mac_size && CRYPTO_memcmp(mac, sig, mac_size) == 0;
  }
  if (!good) *reason = "the signature does not match the request (key '" + std::string(key_id) + "')";
  return good;
}

}  // namespace pcap_ring
