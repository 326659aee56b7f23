// The hashes an S3 upload needs: SHA-256 of each request body (x-amz-content-sha256, signed)
// and MD5 of each body, checked against the ETag the server answers with.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace pcap_ring {

// An OpenSSL message digest being computed.
class Digest {
 public:
  explicit Digest(const EVP_MD* md);
  void update(const void* data, std::size_t n);
  std::string raw();
  std::string hex();

 private:
  struct Deleter {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  std::unique_ptr<EVP_MD_CTX, Deleter> ctx_;
};

std::string to_hex(const std::string& bytes);
std::string sha256_hex(const std::string& data);

// SHA-256 of an empty body.
inline constexpr const char* kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct RangeHashes {
  std::string sha256_hex;
  std::string md5_hex;
};

// Hashes [offset, offset+length) of fd; also feeds `whole` (the whole-object MD5) if given.
// Returns 0 or an errno value (EIO if the file is shorter than expected).
int hash_range(int fd, std::uint64_t offset, std::uint64_t length, RangeHashes* out, Digest* whole);

// An ETag header value without quotes or weak marker, hex in lower case.
std::string unquote_etag(std::string etag);

// The ETag S3 gives a multipart object: hex MD5 of the concatenated binary part MD5s, "-N".
std::string multipart_etag(const std::vector<std::string>& part_md5_hex);

}  // namespace pcap_ring
