#include "stages/http_client.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <mutex>
#include <stdexcept>

namespace pcap_ring {
namespace {

size_t write_body(char* data, size_t size, size_t nmemb, void* user) {
  static_cast<HttpResponse*>(user)->body.append(data, size * nmemb);
  return size * nmemb;
}

// The value of header `name` in the final response (not a 100 Continue or a 401 before it).
std::string read_header(CURL* curl, const std::string& name) {
  curl_header* header = nullptr;
  if (curl_easy_header(curl, name.c_str(), 0, CURLH_HEADER, -1, &header) != CURLHE_OK || !header) return "";
  return header->value ? header->value : "";
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

// ---- URLs ----

std::string url_escape(const std::string& text) {
  curl_global_init_once();
  std::unique_ptr<char, decltype(&curl_free)> escaped(
      curl_easy_escape(nullptr, text.data(), static_cast<int>(text.size())), curl_free);
  if (!escaped) throw std::bad_alloc();
  return escaped.get();
}

namespace {

struct CurlUrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
using CurlUrl = std::unique_ptr<CURLU, CurlUrlDeleter>;

std::string url_part(CURLU* url, CURLUPart part) {
  char* text = nullptr;
  if (curl_url_get(url, part, &text, 0) != CURLUE_OK || !text) return "";
  std::string out = text;
  curl_free(text);
  return out;
}

}  // namespace

Url::Url(const std::string& base) : base_(base) {
  CurlUrl url(curl_url());
  if (!url) throw std::bad_alloc();
  if (CURLUcode rc = curl_url_set(url.get(), CURLUPART_URL, base.c_str(), 0)) {
    error_ = "'" + base + "' is not a URL: " + curl_url_strerror(rc);
    return;
  }
  scheme_ = url_part(url.get(), CURLUPART_SCHEME);
  host_ = url_part(url.get(), CURLUPART_HOST);
  port_ = url_part(url.get(), CURLUPART_PORT);
  path_ = url_part(url.get(), CURLUPART_PATH);
  if (scheme_ != "http" && scheme_ != "https") error_ = "'" + base + "' is not an http:// or https:// URL";
}

void Url::check() {
  if (!error_.empty()) return;
  CurlUrl url(curl_url());
  if (!url) throw std::bad_alloc();
  if (CURLUcode rc = curl_url_set(url.get(), CURLUPART_URL, str().c_str(), 0))
    error_ = "a URL on '" + base_ + "' cannot be built: " + curl_url_strerror(rc);
}

Url& Url::add_segment(const std::string& segment) {
  if (path_.empty() || path_.back() != '/') path_ += '/';
  path_ += url_escape(segment);
  check();
  return *this;
}

Url& Url::add_path(const std::string& path) {
  std::size_t start = 0;
  for (;;) {
    auto slash = path.find('/', start);
    add_segment(path.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) return *this;
    start = slash + 1;
  }
}

Url& Url::add_query(const std::string& name, const std::string& value) {
  query_ += (query_.empty() ? "" : "&") + url_escape(name) + "=" + url_escape(value);
  check();
  return *this;
}

Url& Url::prefix_host(const std::string& label) {
  host_ = label + "." + host_;
  check();
  return *this;
}

std::string Url::str() const {
  std::string out = scheme_ + "://" + host_;
  if (!port_.empty()) out += ":" + port_;
  out += path_.empty() ? "/" : path_;
  if (!query_.empty()) out += "?" + query_;
  return out;
}

// ---- requests ----

std::string HttpResponse::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

HttpResponse perform(CURL* curl, const HttpOptions& options, const std::vector<std::string>& wanted_headers) {
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
  response.result = curl_easy_perform(curl);
  if (response.result != CURLE_OK)
    response.curl_error = error_buffer[0] ? error_buffer : curl_easy_strerror(response.result);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  for (const auto& name : wanted_headers) response.headers[name] = read_header(curl, name);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, nullptr);
  return response;
}

HttpResponse perform_at(CURL* curl, const Url& url, const HttpOptions& options,
                        const std::vector<std::string>& wanted_headers) {
  if (!url.valid()) {
    HttpResponse response;
    response.result = CURLE_URL_MALFORMAT;
    response.curl_error = url.error();
    return response;
  }
  std::string text = url.str();
  curl_easy_setopt(curl, CURLOPT_URL, text.c_str());
  return perform(curl, options, wanted_headers);
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

StageOutcome http_failure(const std::string& what, const HttpResponse& response,
                          const std::function<std::string(const std::string&)>& explain_body) {
  std::string text = what + ": " + transfer_error_text(response);
  if (response.result == CURLE_OK && explain_body) {
    std::string detail = explain_body(response.body);
    if (!detail.empty()) text += " (" + detail + ")";
  }
  return {exit_status_for(response), text};
}

// ---- upload bodies ----

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

}  // namespace pcap_ring
