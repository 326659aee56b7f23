#include "stages/s3_client.h"

#include <utility>

#include "stages/s3_checksum.h"
#include "stages/s3_xml.h"

namespace pcap_ring {

Url s3_object_url(const S3Location& location, const std::string& key) {
  Url url(location.endpoint.empty() ? "https://s3." + location.region + ".amazonaws.com" : location.endpoint);
  if (location.path_style) {
    url.add_segment(location.bucket);
  } else {
    url.prefix_host(location.bucket);
  }
  url.add_path(key);
  return url;
}

S3Client::S3Client(S3Location location, S3Credentials credentials, HttpOptions http)
    : location_(std::move(location)),
      credentials_(std::move(credentials)),
      http_(std::move(http)),
      sigv4_("aws:amz:" + location_.region + ":s3") {}

HttpResponse S3Client::request(const char* method, const Url& url, const std::string& payload_sha256,
                               const std::vector<std::string>& extra_headers,
                               const std::function<void(CURL*)>& attach_body) const {
  CurlHeaders headers;  // outlives the handle that points to it
  CurlEasy curl = make_curl_easy();
  headers.append("x-amz-content-sha256: " + payload_sha256);
  for (const auto& h : extra_headers) headers.append(h);
  curl_easy_setopt(curl.get(), CURLOPT_AWS_SIGV4, sigv4_.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_USERNAME, credentials_.access_key_id.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_PASSWORD, credentials_.secret_access_key.c_str());
  if (attach_body) attach_body(curl.get());
  curl_easy_setopt(curl.get(), CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get());
  return perform_at(curl.get(), url, http_, {"etag"});
}

HttpResponse S3Client::put(const Url& url, FileRangeBody& body, const std::string& payload_sha256,
                           const std::vector<std::string>& extra_headers) const {
  return request("PUT", url, payload_sha256, extra_headers, [&](CURL* curl) { body.attach(curl); });
}

HttpResponse S3Client::post(const Url& url, const std::string& text,
                            const std::vector<std::string>& extra_headers) const {
  return request("POST", url, sha256_hex(text), extra_headers, [&](CURL* curl) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, text.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(text.size()));
  });
}

HttpResponse S3Client::remove(const Url& url) const { return request("DELETE", url, kEmptySha256, {}, nullptr); }

StageOutcome S3Client::failure(const std::string& what, const HttpResponse& response) {
  return http_failure(what, response, s3_error_text);
}

}  // namespace pcap_ring
