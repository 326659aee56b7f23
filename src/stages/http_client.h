// The HTTP client the upload stages (CloudShark, S3) share: RAII owners for libcurl handles,
// URL building, one request/response helper, and the mapping of a response to a stage outcome.
//
// Contract:
// - curl_global_init runs once per process before the first handle is made.
// - `perform` sets what every stage wants (TLS verification and CA file, timeouts, no signals,
//   no redirects, http and https only) and never throws for a transfer error: the result is in
//   HttpResponse. Response headers are read with curl_easy_header (final response only).
// - `exit_status_for` is the only mapping of transfer results to hook exit statuses:
//   network errors, timeouts, HTTP 408, 429 and 5xx -> EX_TEMPFAIL (retry later); other HTTP
//   errors -> 1; 2xx -> 0; a URL or CA file curl rejects -> EX_CONFIG; our own file unreadable -> 1.
// - Failure text names the request and the status or curl's error, never a credential; callers
//   that put a secret into a URL mask it (see CloudSharkClient).
#pragma once

#include <curl/curl.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/exit_codes.h"
#include "stages/stage_outcome.h"

namespace pcap_ring {

void curl_global_init_once();

struct CurlEasyDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;
// A fresh easy handle; throws std::runtime_error if libcurl cannot make one.
CurlEasy make_curl_easy();

struct CurlMimeDeleter {
  void operator()(curl_mime* m) const { curl_mime_free(m); }
};
using CurlMime = std::unique_ptr<curl_mime, CurlMimeDeleter>;

// A curl_slist of request headers.
class CurlHeaders {
 public:
  void append(const std::string& header);
  curl_slist* get() const { return list_.get(); }

 private:
  struct Deleter {
    void operator()(curl_slist* l) const { curl_slist_free_all(l); }
  };
  std::unique_ptr<curl_slist, Deleter> list_;
};

// An absolute http(s) URL: the base is parsed and every result checked with libcurl's URL
// API (CURLU); path segments and query values are percent-encoded by libcurl
// (curl_easy_escape: everything but RFC 3986 unreserved characters, upper-case hex). The
// string is assembled here because libcurl 7.88's curl_url_set of a single part rewrites
// escapes in lower case, and SigV4 signing needs the upper-case form S3 computes.
class Url {
 public:
  // Parses `base` (scheme, host, optional port and path). Failures (here or while appending)
  // are reported by `valid()` and `error()`; the error names the base URL, never an
  // appended part (a token may be one).
  explicit Url(const std::string& base);

  bool valid() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  // Appends one path segment, encoding every reserved character including '/'.
  Url& add_segment(const std::string& segment);
  // Appends a path of segments separated by '/', each encoded (an object key).
  Url& add_path(const std::string& path);
  // Appends "name=value" (both encoded) to the query; "name=" when value is empty.
  Url& add_query(const std::string& name, const std::string& value);
  // Puts `label` + '.' in front of the host name (virtual-host style buckets).
  Url& prefix_host(const std::string& label);

  std::string str() const;

 private:
  void check();
  std::string base_;
  std::string scheme_;
  std::string host_;
  std::string port_;
  std::string path_;
  std::string query_;
  std::string error_;
};

// Percent-encodes `text` as one URL component (libcurl's curl_easy_escape).
std::string url_escape(const std::string& text);

struct HttpOptions {
  std::string ca_file;  // "" = system default
  bool verify = true;   // verify the server certificate and host name
  long timeout_seconds = 300;
  long connect_timeout_seconds = 30;
};

// The options of a stage whose settings have ca_file, verify and timeout_seconds.
template <typename StageSettings>
HttpOptions http_options_of(const StageSettings& settings) {
  HttpOptions options;
  options.ca_file = settings.ca_file;
  options.verify = settings.verify;
  options.timeout_seconds = static_cast<long>(settings.timeout_seconds);
  return options;
}

struct HttpResponse {
  CURLcode result = CURLE_OK;
  std::string curl_error;  // libcurl's detailed message when result != CURLE_OK
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // the ones asked for, names as asked

  bool success() const { return result == CURLE_OK && status >= 200 && status < 300; }
  std::string header(const std::string& name) const;
};

// Performs the request prepared on `curl` (URL, method, body, headers set by the caller) and
// reads the response headers named in `wanted_headers`.
HttpResponse perform(CURL* curl, const HttpOptions& options, const std::vector<std::string>& wanted_headers = {});

// Performs the request prepared on `curl` at `url`; a URL that could not be built gives a
// CURLE_URL_MALFORMAT response (EX_CONFIG) without any network traffic.
HttpResponse perform_at(CURL* curl, const Url& url, const HttpOptions& options,
                        const std::vector<std::string>& wanted_headers = {});

// 0 for success, else the hook exit status for this outcome (see the contract above).
ExitCode exit_status_for(const HttpResponse& response);

// One-line description of a failed transfer: curl's error, or "HTTP <status>".
std::string transfer_error_text(const HttpResponse& response);

// The failed outcome of request `what`: exit_status_for(response) and
// "WHAT: HTTP 403 (DETAIL)" where DETAIL is `explain_body(body)` if that is not empty.
StageOutcome http_failure(const std::string& what, const HttpResponse& response,
                          const std::function<std::string(const std::string&)>& explain_body);

// An upload body taken from [offset, offset+length) of an open file; rewindable, so libcurl
// can resend it (authentication, 100-continue refusals). Must outlive the transfer.
class FileRangeBody {
 public:
  FileRangeBody(int fd, std::uint64_t offset, std::uint64_t length) : fd_(fd), offset_(offset), length_(length) {}
  // Sets CURLOPT_UPLOAD, READFUNCTION/READDATA, SEEKFUNCTION/SEEKDATA and INFILESIZE_LARGE.
  void attach(CURL* curl);
  int read_errno() const { return read_errno_; }

 private:
  static size_t read_cb(char* buf, size_t size, size_t nitems, void* self);
  static int seek_cb(void* self, curl_off_t offset, int origin);
  int fd_;
  std::uint64_t offset_;
  std::uint64_t length_;
  std::uint64_t position_ = 0;
  int read_errno_ = 0;
};

}  // namespace pcap_ring
