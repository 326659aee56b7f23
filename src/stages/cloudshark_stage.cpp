#include "stages/cloudshark_stage.h"

#include <fcntl.h>
#include <strings.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "config/capture_config.h"
#include "common/exit_codes.h"
#include "config/ini_file.h"
#include "common/log.h"
#include "ring/ring_names.h"
#include "stages/secrets.h"
#include "config/stage_settings.h"
#include "common/unique_fd.h"

namespace pcap_ring {
namespace {

using Problem = std::optional<std::string>;
constexpr int kSearchPageSize = 100;
constexpr int kMaxSearchPages = 100;

std::string clean_tag(std::string tag) {
  for (char& c : tag)
    if (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r') c = '_';
  return tag;
}

class CloudSharkClient {
 public:
  CloudSharkClient(const CloudSharkSettings& settings, const std::string& token) : settings_(settings), token_(token) {
    http_.ca_file = settings.ca_file;
    http_.verify = settings.verify;
    http_.timeout_seconds = static_cast<long>(settings.timeout_seconds);
  }
  std::string api(const std::string& call) const { return settings_.url + "/api/v1/" + url_encode(token_, false) + "/" + call; }
  std::string masked(const std::string& text) const {
    return mask_token(mask_token(text, url_encode(token_, false)), token_);
  }

  HttpResponse upload(const HookFileInfo& file, const std::string& filename, const std::string& tags) {
    CurlEasy curl = make_curl_easy();
    CurlMime mime(curl_mime_init(curl.get()));
    curl_mimepart* part = curl_mime_addpart(mime.get());
    curl_mime_name(part, "file");
    curl_mime_filedata(part, file.path.c_str());
    curl_mime_filename(part, filename.c_str());
    curl_mime_type(part, "application/vnd.tcpdump.pcap");
    part = curl_mime_addpart(mime.get());
    curl_mime_name(part, "filename");
    curl_mime_data(part, filename.c_str(), CURL_ZERO_TERMINATED);
    part = curl_mime_addpart(mime.get());
    curl_mime_name(part, "additional_tags");
    curl_mime_data(part, tags.c_str(), CURL_ZERO_TERMINATED);
    std::string url = api("upload");
    curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_MIMEPOST, mime.get());
    return perform(curl.get(), http_);
  }

  HttpResponse get(const std::string& url) {
    CurlEasy curl = make_curl_easy();
    curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
    return perform(curl.get(), http_);
  }

  HttpResponse post_empty(const std::string& url) {
    CurlEasy curl = make_curl_easy();
    curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, 0L);
    return perform(curl.get(), http_);
  }

  std::string describe(const std::string& what, const HttpResponse& r) const {
    std::string text = what + ": " + masked(transfer_error_text(r));
    if (r.result == CURLE_OK) {
      std::string ex = cloudshark_error_text(r.body);
      if (!ex.empty()) text += " (" + masked(ex) + ")";
    }
    return text;
  }

 private:
  const CloudSharkSettings& settings_;
  const std::string& token_;
  HttpOptions http_;
};

// Lists the ring's captures on the server; nullopt (after a warning) if the search fails.
std::optional<std::vector<CloudSharkCapture>> search_ring(CloudSharkClient& client, const std::string& prefix) {
  std::vector<CloudSharkCapture> out;
  for (int page = 1; page <= kMaxSearchPages; ++page) {
    std::string url = client.api("search") + "?" + url_encode("search[filename]", false) + "=" + url_encode(prefix, false) +
                      "&" + url_encode("search[limit]", false) + "=" + std::to_string(kSearchPageSize) + "&" +
                      url_encode("search[page]", false) + "=" + std::to_string(page);
    HttpResponse r = client.get(url);
    if (!r.success()) {
      log::warning("cloudshark: ring clean-up skipped: " + client.describe("search " + prefix, r));
      return std::nullopt;
    }
    auto json = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
    if (!json.is_object() || !json.contains("captures") || !json["captures"].is_array()) {
      log::warning("cloudshark: ring clean-up skipped: search reply has no \"captures\" list");
      return std::nullopt;
    }
    const auto& captures = json["captures"];
    for (const auto& c : captures) {
      if (!c.is_object() || !c.contains("id") || !c.contains("filename")) continue;
      CloudSharkCapture capture;
      capture.id = c["id"].is_string() ? c["id"].get<std::string>() : c["id"].dump();
      capture.filename = c["filename"].is_string() ? c["filename"].get<std::string>() : "";
      out.push_back(capture);
    }
    if (captures.size() < static_cast<std::size_t>(kSearchPageSize)) break;
  }
  return out;
}

}  // namespace

CloudSharkSettings load_cloudshark_settings(const std::map<std::string, std::string>& flags,
                                            const std::string& interface_name,
                                            const std::map<std::string, std::string>& environment) {
  CloudSharkSettings settings;
  settings.config_dir = stage_config_dir(flags, environment);
  load_stage_settings(settings, settings.config_dir, interface_name, flags, environment);
  if (settings.url.empty())
    throw ConfigError("no CloudShark URL: set url in [cloudshark] of " + settings.config_dir +
                      "/packet-capture.conf, CLOUDSHARK_URL or --url");
  return settings;
}

std::string cloudshark_tags(const HookFileInfo& file, const std::string& host, const std::vector<std::string>& extra) {
  std::string tags = "interface:" + clean_tag(file.interface_name.empty() ? "unknown" : file.interface_name) +
                     ",host:" + clean_tag(host) + ",sequence:" + std::to_string(file.sequence);
  for (const auto& t : extra) tags += "," + clean_tag(t);
  return tags;
}

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

std::vector<std::string> captures_beyond_ring(const std::vector<CloudSharkCapture>& captures, const std::string& prefix,
                                              std::uint64_t keep, const std::string& keep_id) {
  struct Entry {
    std::uint64_t sequence;
    bool preferred;
    std::size_t order;
    const CloudSharkCapture* capture;
  };
  std::vector<Entry> ring;
  for (std::size_t i = 0; i < captures.size(); ++i) {
    auto name = parse_any_ring_file_name(captures[i].filename);
    if (name && !prefix.empty() && name->stem == prefix) ring.push_back({name->seq, captures[i].id == keep_id, i, &captures[i]});
  }
  // Newest sequence first; within a sequence the just-uploaded capture, then server order.
  std::sort(ring.begin(), ring.end(), [](const Entry& a, const Entry& b) {
    if (a.sequence != b.sequence) return a.sequence > b.sequence;
    if (a.preferred != b.preferred) return a.preferred;
    return a.order < b.order;
  });
  std::vector<std::string> doomed;
  std::set<std::uint64_t> kept;
  for (const auto& e : ring) {
    if (e.capture->id == keep_id) {
      kept.insert(e.sequence);
      continue;
    }
    if (!kept.count(e.sequence) && kept.size() < keep) {
      kept.insert(e.sequence);
      continue;
    }
    doomed.push_back(e.capture->id);
  }
  return doomed;
}

StageOutcome run_cloudshark_upload(const CloudSharkSettings& settings, const std::string& token,
                                   const HookFileInfo& file, const std::string& host) {
  {
    UniqueFd probe(::open(file.path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (!probe.valid()) return {kExitFailure, file.path + ": cannot open: " + errno_text(errno)};
  }
  CloudSharkClient client(settings, token);
  const std::string filename = std::filesystem::path(file.path).filename().string();
  HttpResponse r = client.upload(file, filename, cloudshark_tags(file, host, settings.tags));
  if (!r.success()) return {exit_status_for(r), client.describe("upload of " + file.path, r)};
  auto reply = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (!reply.is_object() || !reply.contains("id"))
    return {kExitTempFail, "upload of " + file.path + ": reply without a capture id"};
  std::string id = reply["id"].is_string() ? reply["id"].get<std::string>() : reply["id"].dump();

  if (settings.ring) {
    auto ring_name = parse_any_ring_file_name(filename);
    std::string prefix = ring_name ? ring_name->stem : "";
    if (prefix.empty()) {
      log::warning("cloudshark: ring clean-up skipped: " + filename + " is not named PREFIX-IFACE-SEQ");
    } else if (auto captures = search_ring(client, prefix)) {
      for (const auto& doomed : captures_beyond_ring(*captures, prefix, settings.ring_size, id)) {
        HttpResponse d = client.post_empty(client.api("delete/" + url_encode(doomed, false)));
        if (!d.success() && d.status != 404)
          log::warning("cloudshark: " + client.describe("deleting capture " + doomed, d));
      }
    }
  }
  return {kExitOk, "uploaded " + file.path + " to CloudShark as " + id};
}

int run_cloudshark_hook(const CloudSharkSettings& settings, const HookFileInfo& file, const Environment& environment) {
  std::string token = read_secret({"cloudshark-token", settings.token_file, "[cloudshark] token_file"}, environment);
  StageOutcome outcome = run_cloudshark_upload(settings, token, file, local_host_name());
  if (outcome.code == kExitOk) std::cout << outcome.message << std::endl;
  else log::error("cloudshark: " + mask_token(outcome.message, token));
  return outcome.code;
}

}  // namespace pcap_ring
