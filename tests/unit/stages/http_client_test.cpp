#include "stages/http_client.h"

#include <gtest/gtest.h>

#include "common/exit_codes.h"

namespace pcap_ring {
namespace {

HttpResponse status(long code) {
  HttpResponse r;
  r.status = code;
  return r;
}

HttpResponse curl_error(CURLcode code) {
  HttpResponse r;
  r.result = code;
  r.curl_error = curl_easy_strerror(code);
  return r;
}

TEST(HttpOutcome, StatusClasses) {
  struct Row {
    long status;
    ExitCode expected;
  };
  const Row table[] = {
      {200, kExitOk},          {201, kExitOk},          {204, kExitOk},          {301, kExitFailure},
      {400, kExitFailure},     {401, kExitFailure},     {403, kExitFailure},     {404, kExitFailure},
      {408, kExitTempFail},    {413, kExitFailure},     {422, kExitFailure},     {429, kExitTempFail},
      {500, kExitTempFail},    {502, kExitTempFail},    {503, kExitTempFail},    {504, kExitTempFail},
  };
  for (const auto& row : table) EXPECT_EQ(exit_status_for(status(row.status)), row.expected) << row.status;
}

TEST(HttpOutcome, CurlErrors) {
  for (CURLcode c : {CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT, CURLE_OPERATION_TIMEDOUT, CURLE_SEND_ERROR,
                     CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION})
    EXPECT_EQ(exit_status_for(curl_error(c)), kExitTempFail) << curl_easy_strerror(c);
  for (CURLcode c : {CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL, CURLE_SSL_CACERT_BADFILE})
    EXPECT_EQ(exit_status_for(curl_error(c)), kExitConfig) << curl_easy_strerror(c);
  EXPECT_EQ(exit_status_for(curl_error(CURLE_READ_ERROR)), kExitFailure);
  EXPECT_EQ(exit_status_for(curl_error(CURLE_ABORTED_BY_CALLBACK)), kExitFailure);
}

TEST(HttpOutcome, FailureTextNamesTheRequestAndDetail) {
  auto explain = [](const std::string& body) { return body == "why" ? std::string("because") : std::string(); };
  HttpResponse r = status(503);
  r.body = "why";
  StageOutcome o = http_failure("PUT x", r, explain);
  EXPECT_EQ(o.code, kExitTempFail);
  EXPECT_EQ(o.message, "PUT x: HTTP 503 (because)");
  r.body = "";
  EXPECT_EQ(http_failure("PUT x", r, explain).message, "PUT x: HTTP 503");
  HttpResponse e = curl_error(CURLE_COULDNT_CONNECT);
  e.curl_error = "Failed to connect";
  e.body = "why";  // no body detail for a transfer that never got an answer
  EXPECT_EQ(http_failure("GET y", e, explain).message, "GET y: Failed to connect");
}

TEST(HttpUrl, SegmentsAndQueriesAreEncoded) {
  Url url("https://h.example:8443/base");
  url.add_segment("a b+c/d?é").add_query("search[filename]", "pcap eth0+/?é");
  ASSERT_TRUE(url.valid()) << url.error();
  EXPECT_EQ(url.str(),
            "https://h.example:8443/base/a%20b%2Bc%2Fd%3F%C3%A9?search%5Bfilename%5D=pcap%20eth0%2B%2F%3F%C3%A9");
}

TEST(HttpUrl, PathKeepsItsSlashesAndHostPrefix) {
  Url url("http://127.0.0.1:9000");
  url.prefix_host("bucket").add_path("dir one/x+y?.pcap");
  EXPECT_EQ(url.str(), "http://bucket.127.0.0.1:9000/dir%20one/x%2By%3F.pcap");
  Url copy = url;
  copy.add_query("uploads", "");
  EXPECT_EQ(copy.str(), "http://bucket.127.0.0.1:9000/dir%20one/x%2By%3F.pcap?uploads=");
  EXPECT_EQ(url.str(), "http://bucket.127.0.0.1:9000/dir%20one/x%2By%3F.pcap") << "the copy is independent";
}

TEST(HttpUrl, BadBaseIsAnErrorNotACrash) {
  Url bad("not a url");
  EXPECT_FALSE(bad.valid());
  EXPECT_NE(bad.error().find("not a url"), std::string::npos) << bad.error();
  EXPECT_FALSE(Url("ftp://h/x").valid());
  // A request at a bad URL never reaches the network and counts as bad settings.
  CurlEasy curl = make_curl_easy();
  HttpResponse r = perform_at(curl.get(), bad, HttpOptions{});
  EXPECT_EQ(exit_status_for(r), kExitConfig);
}

}  // namespace
}  // namespace pcap_ring
