#include "stages/cloudshark_client.h"

#include <nlohmann/json.hpp>
#include <utility>

namespace pcap_ring {
namespace {

std::string id_text(const nlohmann::json& id) { return id.is_string() ? id.get<std::string>() : id.dump(); }

}  // namespace

std::string mask_token(const std::string& text, const std::string& token) {
  if (token.empty()) return text;
  std::string out = text;
  for (std::size_t pos = out.find(token); pos != std::string::npos; pos = out.find(token, pos + 3))
    out.replace(pos, token.size(), "***");
  return out;
}

std::string cloudshark_error_text(const std::string& body) {
  auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object() || !json.contains("exceptions")) return "";
  std::string out;
  const auto& ex = json["exceptions"];
  auto add = [&](const nlohmann::json& e) {
    std::string s = e.is_string() ? e.get<std::string>() : e.dump();
    for (char& c : s)
      if (c == '\n' || c == '\r') c = ' ';
    out += (out.empty() ? "" : "; ") + s;
  };
  if (ex.is_array()) {
    for (const auto& e : ex) add(e);
  } else {
    add(ex);
  }
  return out;
}

std::optional<std::string> cloudshark_upload_id(const std::string& body) {
  auto reply = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!reply.is_object() || !reply.contains("id")) return std::nullopt;
  return id_text(reply["id"]);
}

std::optional<std::vector<CloudSharkCapture>> cloudshark_search_captures(const std::string& body) {
  auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object() || !json.contains("captures") || !json["captures"].is_array()) return std::nullopt;
  std::vector<CloudSharkCapture> out;
  for (const auto& c : json["captures"]) {
    if (!c.is_object() || !c.contains("id") || !c.contains("filename")) continue;
    out.push_back({id_text(c["id"]), c["filename"].is_string() ? c["filename"].get<std::string>() : ""});
  }
  return out;
}

CloudSharkClient::CloudSharkClient(std::string base_url, std::string token, HttpOptions http)
    : base_url_(std::move(base_url)), token_(std::move(token)), http_(std::move(http)) {}

Url CloudSharkClient::api(const std::string& call) const {
  Url url(base_url_);
  url.add_segment("api").add_segment("v1").add_segment(token_).add_path(call);
  return url;
}

HttpResponse CloudSharkClient::upload(const std::string& path, const std::string& filename,
                                      const std::string& tags) const {
  CurlEasy curl = make_curl_easy();
  CurlMime mime(curl_mime_init(curl.get()));
  if (!mime) throw std::bad_alloc();
  curl_mimepart* part = curl_mime_addpart(mime.get());
  curl_mime_name(part, "file");
  curl_mime_filedata(part, path.c_str());
  curl_mime_filename(part, filename.c_str());
  curl_mime_type(part, "application/vnd.tcpdump.pcap");
  part = curl_mime_addpart(mime.get());
  curl_mime_name(part, "filename");
  curl_mime_data(part, filename.c_str(), CURL_ZERO_TERMINATED);
  part = curl_mime_addpart(mime.get());
  curl_mime_name(part, "additional_tags");
  curl_mime_data(part, tags.c_str(), CURL_ZERO_TERMINATED);
  curl_easy_setopt(curl.get(), CURLOPT_MIMEPOST, mime.get());
  return perform_at(curl.get(), api("upload"), http_);
}

HttpResponse CloudSharkClient::search(const std::string& filename_prefix, int page, int page_size) const {
  Url url = api("search");
  url.add_query("search[filename]", filename_prefix)
      .add_query("search[limit]", std::to_string(page_size))
      .add_query("search[page]", std::to_string(page));
  CurlEasy curl = make_curl_easy();
  return perform_at(curl.get(), url, http_);
}

HttpResponse CloudSharkClient::delete_capture(const std::string& id) const {
  Url url = api("delete");
  url.add_segment(id);
  CurlEasy curl = make_curl_easy();
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, "");
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, 0L);
  return perform_at(curl.get(), url, http_);
}

std::string CloudSharkClient::masked(const std::string& text) const {
  return mask_token(mask_token(text, url_escape(token_)), token_);
}

StageOutcome CloudSharkClient::failure(const std::string& what, const HttpResponse& response) const {
  StageOutcome outcome = http_failure(what, response, cloudshark_error_text);
  outcome.message = masked(outcome.message);
  return outcome;
}

}  // namespace pcap_ring
