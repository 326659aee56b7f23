#include "stages/s3_stage.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>

#include "config/capture_config.h"
#include "config/ini_file.h"
#include "common/log.h"
#include "stages/secrets.h"
#include "config/stage_settings.h"
#include "common/unique_fd.h"

namespace pcap_ring {
namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;
constexpr std::uint64_t kMaxParts = 10000;

// ---- hashing ----

struct EvpCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

class Digest {
 public:
  explicit Digest(const EVP_MD* md) : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), md, nullptr) != 1) throw std::runtime_error("EVP_DigestInit failed");
  }
  void update(const void* data, std::size_t n) { EVP_DigestUpdate(ctx_.get(), data, n); }
  std::string raw() {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_.get(), out, &len);
    return std::string(reinterpret_cast<char*>(out), len);
  }
  std::string hex() { return to_hex(raw()); }
  static std::string to_hex(const std::string& bytes) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
      out += digits[c >> 4];
      out += digits[c & 15];
    }
    return out;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, EvpCtxDeleter> ctx_;
};

std::string sha256_hex(const std::string& data) {
  Digest d(EVP_sha256());
  d.update(data.data(), data.size());
  return d.hex();
}

struct RangeHashes {
  std::string sha256_hex;
  std::string md5_hex;
};

// Hashes [offset, offset+length) of fd; also feeds `whole` (the whole-object MD5) if given.
// Returns 0 or an errno value.
int hash_range(int fd, std::uint64_t offset, std::uint64_t length, RangeHashes* out, Digest* whole) {
  Digest sha(EVP_sha256()), md5(EVP_md5());
  std::vector<char> buf(kMiB);
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

// ---- requests ----

class S3Client {
 public:
  S3Client(const S3Settings& settings, const S3Credentials& credentials)
      : settings_(settings), credentials_(credentials), sigv4_("aws:amz:" + settings.region + ":s3") {
    http_.ca_file = settings.ca_file;
    http_.verify = settings.verify;
    http_.timeout_seconds = static_cast<long>(settings.timeout_seconds);
  }

  // `body` (a file range) or `text` is sent; `payload_sha256` is its hash.
  HttpResponse request(const char* method, const std::string& url, FileRangeBody* body, const std::string* text,
                       const std::string& payload_sha256, const std::vector<std::string>& extra_headers) {
    CurlEasy curl = make_curl_easy();
    CurlHeaders headers;
    headers.append("x-amz-content-sha256: " + payload_sha256);
    for (const auto& h : extra_headers) headers.append(h);
    curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_AWS_SIGV4, sigv4_.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_USERNAME, credentials_.access_key_id.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_PASSWORD, credentials_.secret_access_key.c_str());
    if (body) {
      body->attach(curl.get());  // PUT
    } else if (text) {
      curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, text->c_str());
      curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(text->size()));
    }
    curl_easy_setopt(curl.get(), CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get());
    HttpResponse r = perform(curl.get(), http_);
    curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, nullptr);
    return r;
  }

 private:
  const S3Settings& settings_;
  const S3Credentials& credentials_;
  std::string sigv4_;
  HttpOptions http_;
};

std::string describe_failure(const std::string& what, const HttpResponse& r) {
  std::string text = what + ": " + transfer_error_text(r);
  if (r.result == CURLE_OK) {
    std::string s3 = s3_error_text(r.body);
    if (!s3.empty()) text += " (" + s3 + ")";
  }
  return text;
}

StageOutcome failed(const std::string& what, const HttpResponse& r) {
  return {exit_status_for(r), describe_failure(what, r)};
}

const std::string kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

}  // namespace

std::string expand_key_template(const std::string& t, const S3KeyFields& f) {
  std::string out;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] != '{') {
      out += t[i];
      continue;
    }
    auto end = t.find('}', i);
    std::string name = t.substr(i + 1, end - i - 1);
    if (name == "prefix") {
      out += f.prefix;
    } else if (name == "host") {
      out += f.host;
    } else if (name == "iface") {
      out += f.interface_name;
    } else if (name == "filename") {
      out += f.filename;
    } else if (name == "sequence") {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%06llu", static_cast<unsigned long long>(f.sequence));
      out += buf;
    }
    i = end;
  }
  // Drop empty segments: "/host//x" from an empty prefix or interface becomes "host/x".
  std::string key;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] == '/' && (key.empty() || key.back() == '/')) continue;
    key += out[i];
  }
  while (!key.empty() && key.back() == '/') key.pop_back();
  return key;
}

std::string s3_object_url(const S3Settings& s, const std::string& key) {
  std::string endpoint = s.endpoint.empty() ? "https://s3." + s.region + ".amazonaws.com" : s.endpoint;
  std::string encoded = url_encode(key, /*keep_slash=*/true);
  if (s.use_path_style()) return endpoint + "/" + s.bucket + "/" + encoded;
  auto scheme_end = endpoint.find("://");
  return endpoint.substr(0, scheme_end + 3) + s.bucket + "." + endpoint.substr(scheme_end + 3) + "/" + encoded;
}

S3Settings load_s3_settings(const std::map<std::string, std::string>& flags, const std::string& interface_name,
                            const std::map<std::string, std::string>& environment) {
  S3Settings settings;
  settings.config_dir = stage_config_dir(flags, environment);
  load_stage_settings(settings, settings.config_dir, interface_name, flags, environment);
  if (settings.bucket.empty())
    throw ConfigError("no S3 bucket: set bucket in [s3] of " + settings.config_dir +
                      "/packet-capture.conf, S3_BUCKET or --bucket");
  return settings;
}

std::string xml_element(const std::string& xml, const std::string& tag) {
  auto open = xml.find("<" + tag + ">");
  if (open == std::string::npos) return "";
  auto start = open + tag.size() + 2;
  auto close = xml.find("</" + tag + ">", start);
  if (close == std::string::npos) return "";
  std::string raw = xml.substr(start, close - start);
  static const std::pair<const char*, const char*> entities[] = {
      {"&quot;", "\""}, {"&apos;", "'"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&#34;", "\""}, {"&amp;", "&"}};
  std::string out;
  for (std::size_t i = 0; i < raw.size();) {
    bool replaced = false;
    if (raw[i] == '&') {
      for (const auto& [from, to] : entities) {
        if (raw.compare(i, std::strlen(from), from) == 0) {
          out += to;
          i += std::strlen(from);
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out += raw[i++];
  }
  return out;
}

std::string s3_error_text(const std::string& body) {
  if (body.find("<Error>") == std::string::npos) return "";
  std::string code = xml_element(body, "Code");
  std::string message = xml_element(body, "Message");
  if (code.empty()) return message;
  return message.empty() ? code : code + ": " + message;
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

StageOutcome run_s3_upload(const S3Settings& settings, const S3Credentials& credentials, const HookFileInfo& file,
                           const std::string& host) {
  UniqueFd fd(::open(file.path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd.valid()) return {kExitFailure, file.path + ": cannot open: " + errno_text(errno)};
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode))
    return {kExitFailure, file.path + ": not a regular file"};
  const auto size = static_cast<std::uint64_t>(st.st_size);

  S3KeyFields fields{settings.prefix, host, file.interface_name,
                     std::filesystem::path(file.path).filename().string(), file.sequence};
  const std::string key = expand_key_template(settings.key_template, fields);
  if (key.empty()) return {kExitConfig, "key_template '" + settings.key_template + "' expands to an empty key"};
  const std::string url = s3_object_url(settings, key);
  const std::string target = "s3://" + settings.bucket + "/" + key;
  const std::string content_type = "Content-Type: application/vnd.tcpdump.pcap";
  S3Client client(settings, credentials);

  if (size <= settings.multipart_threshold_mb * kMiB) {
    RangeHashes h;
    if (int err = hash_range(fd.get(), 0, size, &h, nullptr))
      return {kExitFailure, file.path + ": read: " + errno_text(err)};
    FileRangeBody body(fd.get(), 0, size);
    HttpResponse r = client.request("PUT", url, &body, nullptr, h.sha256_hex, {content_type});
    if (!r.success()) return failed("PUT " + target, r);
    std::string etag = unquote_etag(r.header("etag"));
    if (etag != h.md5_hex)
      return {kExitTempFail, "PUT " + target + ": checksum mismatch: ETag '" + etag + "', MD5 of the file " + h.md5_hex};
    return {kExitOk, "uploaded " + file.path + " to " + target + " (" + std::to_string(size) + " bytes)"};
  }

  // Multipart: parts of part_size, grown if the file would need more than 10000 of them.
  std::uint64_t part_size = settings.part_size_mb * kMiB;
  while ((size + part_size - 1) / part_size > kMaxParts) part_size *= 2;

  const std::string empty;
  HttpResponse init = client.request("POST", url + "?uploads=", nullptr, &empty, kEmptySha256, {content_type});
  if (!init.success()) return failed("initiating multipart upload of " + target, init);
  const std::string upload_id = xml_element(init.body, "UploadId");
  if (upload_id.empty()) return {kExitTempFail, "initiating multipart upload of " + target + ": no UploadId in the reply"};
  const std::string id_query = "uploadId=" + url_encode(upload_id, false);

  auto abort_upload = [&](StageOutcome outcome) {
    HttpResponse r = client.request("DELETE", url + "?" + id_query, nullptr, nullptr, kEmptySha256, {});
    if (!r.success()) log::warning(describe_failure("aborting multipart upload of " + target, r));
    return outcome;
  };

  Digest whole(EVP_md5());
  std::vector<std::string> part_md5s;
  std::string complete = "<CompleteMultipartUpload>";
  for (std::uint64_t offset = 0, number = 1; offset < size; offset += part_size, ++number) {
    std::uint64_t length = std::min(part_size, size - offset);
    RangeHashes h;
    if (int err = hash_range(fd.get(), offset, length, &h, &whole))
      return abort_upload({kExitFailure, file.path + ": read: " + errno_text(err)});
    FileRangeBody body(fd.get(), offset, length);
    std::string part_url = url + "?partNumber=" + std::to_string(number) + "&" + id_query;
    HttpResponse r = client.request("PUT", part_url, &body, nullptr, h.sha256_hex, {});
    std::string what = "uploading part " + std::to_string(number) + " of " + target;
    if (!r.success()) return abort_upload(failed(what, r));
    std::string etag = unquote_etag(r.header("etag"));
    if (etag != h.md5_hex)
      return abort_upload({kExitTempFail, what + ": checksum mismatch: ETag '" + etag + "', MD5 " + h.md5_hex});
    part_md5s.push_back(h.md5_hex);
    complete += "<Part><PartNumber>" + std::to_string(number) + "</PartNumber><ETag>\"" + etag + "\"</ETag></Part>";
  }
  complete += "</CompleteMultipartUpload>";

  HttpResponse done = client.request("POST", url + "?" + id_query, nullptr, &complete, sha256_hex(complete),
                                     {"Content-Type: application/xml"});
  // S3 may answer 200 and still report an error in the body.
  if (!done.success() || !s3_error_text(done.body).empty()) {
    if (done.success()) done.status = 500;
    return abort_upload(failed("completing multipart upload of " + target, done));
  }
  // AWS gives MD5(part MD5s)-N; some compatible servers give the whole object's MD5.
  std::string etag = unquote_etag(xml_element(done.body, "ETag"));
  std::string whole_md5 = whole.hex();
  if (etag != multipart_etag(part_md5s) && etag != whole_md5)
    return {kExitTempFail, "completing multipart upload of " + target + ": checksum mismatch: ETag '" + etag +
                               "', expected " + multipart_etag(part_md5s) + " or " + whole_md5};
  return {kExitOk, "uploaded " + file.path + " to " + target + " (" + std::to_string(size) + " bytes, " +
                       std::to_string(part_md5s.size()) + " parts)"};
}

int run_s3_hook(const S3Settings& settings, const HookFileInfo& file, const Environment& environment) {
  S3Credentials credentials;
  credentials.access_key_id =
      read_secret({"s3-access-key-id", settings.access_key_id_file, "[s3] access_key_id_file"}, environment);
  credentials.secret_access_key = read_secret(
      {"s3-secret-access-key", settings.secret_access_key_file, "[s3] secret_access_key_file"}, environment);
  StageOutcome outcome = run_s3_upload(settings, credentials, file, local_host_name());
  if (outcome.code == kExitOk) std::cout << outcome.message << std::endl;
  else log::error("s3: " + outcome.message);
  return outcome.code;
}

}  // namespace pcap_ring
