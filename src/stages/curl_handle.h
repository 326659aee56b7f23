// RAII owners for libcurl handles (easy handle, header list, MIME form) and the one
// request/response helper the built-in upload stages share.
//
// Contract: curl_global_init runs once per process before the first handle is made.
// `perform` sets the options every stage wants (TLS verification and CA file, timeouts, no
// signals, no redirects, body and headers captured) and never throws for a transfer error:
// the outcome is in HttpResponse, and `exit_status_for` maps it onto the hook contract
// (75 = retry later for network errors, timeouts, 408, 429 and 5xx; 1 for other HTTP errors;
// 78 when curl rejects what the configuration gave it, such as a malformed URL or CA file).
#pragma once

#include <curl/curl.h>
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "common/exit_codes.h"

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

struct HttpOptions {
  std::string ca_file;  // "" = system default
  bool verify = true;   // verify the server certificate and host name
  long timeout_seconds = 300;
  long connect_timeout_seconds = 30;
};

struct HttpResponse {
  CURLcode result = CURLE_OK;
  std::string curl_error;  // libcurl's detailed message when result != CURLE_OK
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // of the final response; names in lower case

  bool success() const { return result == CURLE_OK && status >= 200 && status < 300; }
  std::string header(const std::string& lower_name) const;
};

// Performs the request prepared on `curl` (URL, method, body, headers set by the caller).
HttpResponse perform(CURL* curl, const HttpOptions& options);

// 0 for success, else the hook exit status for this outcome (see the contract above).
ExitCode exit_status_for(const HttpResponse& response);

// What a built-in stage tells its caller: the exit status and the line to print (the success
// line on stdout, or the one-line error on stderr).
struct StageOutcome {
  ExitCode code = kExitOk;
  std::string message;
};

// One-line description of a failed transfer: curl's error, or "HTTP <status>".
std::string transfer_error_text(const HttpResponse& response);

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

// Percent-encodes everything but RFC 3986 unreserved characters (and '/' when keep_slash).
std::string url_encode(const std::string& text, bool keep_slash);

}  // namespace pcap_ring
