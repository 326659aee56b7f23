// Requests to an S3-compatible object store, signed by libcurl (CURLOPT_AWS_SIGV4,
// "aws:amz:REGION:s3"). The payload hash header x-amz-content-sha256 is computed by the
// caller (libcurl 7.88 does not send it). Credentials go to libcurl only, never into a URL or
// a failure text.
#pragma once

#include <string>
#include <vector>

#include "stages/http_client.h"
#include "stages/stage_outcome.h"

namespace pcap_ring {

struct S3Credentials {
  std::string access_key_id;
  std::string secret_access_key;
};

// Where objects go.
struct S3Location {
  std::string endpoint;  // "" = AWS: https://s3.REGION.amazonaws.com
  std::string region;
  std::string bucket;
  bool path_style = false;  // https://endpoint/bucket/key instead of https://bucket.endpoint/key
};

// The object's URL, each key segment URI-encoded.
Url s3_object_url(const S3Location& location, const std::string& key);

class S3Client {
 public:
  S3Client(S3Location location, S3Credentials credentials, HttpOptions http);

  // PUT `body` (a file range whose SHA-256 is `payload_sha256`); the response carries "etag".
  HttpResponse put(const Url& url, FileRangeBody& body, const std::string& payload_sha256,
                   const std::vector<std::string>& extra_headers) const;
  // POST `text` (may be empty).
  HttpResponse post(const Url& url, const std::string& text, const std::vector<std::string>& extra_headers) const;
  // DELETE with an empty body.
  HttpResponse remove(const Url& url) const;

  // The failed outcome of `what`, with S3's error Code and Message.
  static StageOutcome failure(const std::string& what, const HttpResponse& response);

 private:
  HttpResponse request(const char* method, const Url& url, const std::string& payload_sha256,
                       const std::vector<std::string>& extra_headers,
                       const std::function<void(CURL*)>& attach_body) const;
  S3Location location_;
  S3Credentials credentials_;
  HttpOptions http_;
  std::string sigv4_;
};

}  // namespace pcap_ring
