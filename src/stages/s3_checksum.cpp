#include "stages/s3_checksum.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>

namespace pcap_ring {
namespace {
constexpr std::size_t kHashBuffer = 1024 * 1024;
}

Digest::Digest(const EVP_MD* md) : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), md, nullptr) != 1) throw std::runtime_error("EVP_DigestInit failed");
}

void Digest::update(const void* data, std::size_t n) {
  if (EVP_DigestUpdate(ctx_.get(), data, n) != 1) throw std::runtime_error("EVP_DigestUpdate failed");
}

std::string Digest::raw() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_.get(), out, &len) != 1) throw std::runtime_error("EVP_DigestFinal failed");
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string Digest::hex() { return to_hex(raw()); }

std::string to_hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string sha256_hex(const std::string& data) {
  Digest d(EVP_sha256());
  d.update(data.data(), data.size());
  return d.hex();
}

int hash_range(int fd, std::uint64_t offset, std::uint64_t length, RangeHashes* out, Digest* whole) {
  Digest sha(EVP_sha256()), md5(EVP_md5());
  std::vector<char> buf(kHashBuffer);
  std::uint64_t done = 0;
  while (done < length) {
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), length - done));
    ssize_t n = ::pread(fd, buf.data(), want, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return EIO;  // the file shrank
    sha.update(buf.data(), static_cast<std::size_t>(n));
    md5.update(buf.data(), static_cast<std::size_t>(n));
    if (whole) whole->update(buf.data(), static_cast<std::size_t>(n));
    done += static_cast<std::uint64_t>(n);
  }
  out->sha256_hex = sha.hex();
  out->md5_hex = md5.hex();
  return 0;
}

std::string unquote_etag(std::string etag) {
  if (etag.rfind("W/", 0) == 0) etag = etag.substr(2);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  for (char& c : etag)
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  return etag;
}

std::string multipart_etag(const std::vector<std::string>& part_md5_hex) {
  Digest d(EVP_md5());
  for (const auto& hex : part_md5_hex) {
    std::string raw;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
      raw += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
    d.update(raw.data(), raw.size());
  }
  return d.hex() + "-" + std::to_string(part_md5_hex.size());
}

}  // namespace pcap_ring
