#include "stages/curl_handle.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cerrno>
#include <mutex>
#include <stdexcept>

namespace pcap_ring {
namespace {

size_t write_body(char* data, size_t size, size_t nmemb, void* user) {
  static_cast<HttpResponse*>(user)->body.append(data, size * nmemb);
  return size * nmemb;
}

// Keeps the headers of the last response only (a 100 Continue or 401 may come first).
size_t write_header(char* data, size_t size, size_t nmemb, void* user) {
  auto* r = static_cast<HttpResponse*>(user);
  std::string line(data, size * nmemb);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  if (line.rfind("HTTP/", 0) == 0) {
    r->headers.clear();
    return size * nmemb;
  }
  auto colon = line.find(':');
  if (colon == std::string::npos) return size * nmemb;
  std::string name = line.substr(0, colon);
  for (char& c : name)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  std::string value = line.substr(colon + 1);
  auto first = value.find_first_not_of(" \t");
  value = first == std::string::npos ? std::string() : value.substr(first);
  r->headers[name] = value;
  return size * nmemb;
}

}  // namespace

void curl_global_init_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw std::runtime_error("curl_global_init failed");
  });
}

CurlEasy make_curl_easy() {
  curl_global_init_once();
  CurlEasy easy(curl_easy_init());
  if (!easy) throw std::runtime_error("curl_easy_init failed");
  return easy;
}

void CurlHeaders::append(const std::string& header) {
  curl_slist* next = curl_slist_append(list_.get(), header.c_str());
  if (!next) throw std::bad_alloc();
  (void)list_.release();  // curl_slist_append returned the same list with one more node
  list_.reset(next);
}

std::string HttpResponse::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

HttpResponse perform(CURL* curl, const HttpOptions& options) {
  HttpResponse response;
  char error_buffer[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, options.timeout_seconds);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, options.connect_timeout_seconds);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, options.verify ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, options.verify ? 2L : 0L);
  if (!options.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options.ca_file.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, write_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response);
  response.result = curl_easy_perform(curl);
  if (response.result != CURLE_OK)
    response.curl_error = error_buffer[0] ? error_buffer : curl_easy_strerror(response.result);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, nullptr);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, nullptr);
  return response;
}

ExitCode exit_status_for(const HttpResponse& r) {
  if (r.result != CURLE_OK) {
    switch (r.result) {
      case CURLE_URL_MALFORMAT:
      case CURLE_UNSUPPORTED_PROTOCOL:
      case CURLE_SSL_CACERT_BADFILE:
      case CURLE_SSL_CRL_BADFILE:
        return kExitConfig;
      case CURLE_READ_ERROR:
      case CURLE_ABORTED_BY_CALLBACK:
        return kExitFailure;  // our own file could not be read
      default:
        return kExitTempFail;  // DNS, refused, reset, timeout, TLS handshake: try again later
    }
  }
  if (r.status >= 200 && r.status < 300) return kExitOk;
  if (r.status >= 500 || r.status == 429 || r.status == 408) return kExitTempFail;
  return kExitFailure;
}

std::string transfer_error_text(const HttpResponse& r) {
  if (r.result != CURLE_OK) return r.curl_error;
  return "HTTP " + std::to_string(r.status);
}

void FileRangeBody::attach(CURL* curl) {
  position_ = 0;
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_cb);
  curl_easy_setopt(curl, CURLOPT_READDATA, this);
  curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, seek_cb);
  curl_easy_setopt(curl, CURLOPT_SEEKDATA, this);
  curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(length_));
}

size_t FileRangeBody::read_cb(char* buf, size_t size, size_t nitems, void* user) {
  auto* self = static_cast<FileRangeBody*>(user);
  std::uint64_t left = self->length_ - self->position_;
  size_t want = static_cast<size_t>(std::min<std::uint64_t>(left, size * nitems));
  if (want == 0) return 0;
  for (;;) {
    ssize_t n = ::pread(self->fd_, buf, want, static_cast<off_t>(self->offset_ + self->position_));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      self->read_errno_ = n < 0 ? errno : EIO;  // a short file: it changed under us
      return CURL_READFUNC_ABORT;
    }
    self->position_ += static_cast<std::uint64_t>(n);
    return static_cast<size_t>(n);
  }
}

int FileRangeBody::seek_cb(void* user, curl_off_t offset, int origin) {
  auto* self = static_cast<FileRangeBody*>(user);
  if (origin != SEEK_SET || offset < 0 || static_cast<std::uint64_t>(offset) > self->length_)
    return CURL_SEEKFUNC_CANTSEEK;
  self->position_ = static_cast<std::uint64_t>(offset);
  return CURL_SEEKFUNC_OK;
}

std::string url_encode(const std::string& text, bool keep_slash) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace pcap_ring
