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
#include <variant>

#include "config/capture_config.h"
#include "common/exit_codes.h"
#include "config/ini_file.h"
#include "common/log.h"
#include "ring/ring_names.h"
#include "stages/secrets.h"
#include "stages/stage_files.h"
#include "stages/stage_runner.h"
#include "config/stage_settings.h"
#include "common/unique_fd.h"

namespace pcap_ring {
namespace {

using Problem = std::optional<std::string>;
constexpr int kSearchPageSize = 100;
constexpr int kMaxSearchPages = 100;


// Lists the ring's captures on the server; nullopt (after a warning) if the search fails.
std::optional<std::vector<CloudSharkCapture>> search_ring(const CloudSharkClient& client, const std::string& prefix) {
  std::vector<CloudSharkCapture> out;
  for (int page = 1; page <= kMaxSearchPages; ++page) {
    HttpResponse r = client.search(prefix, page, kSearchPageSize);
    if (!r.success()) {
      log::warning("cloudshark: ring clean-up skipped: " + client.failure("search " + prefix, r).message);
      return std::nullopt;
    }
    auto captures = cloudshark_search_captures(r.body);
    if (!captures) {
      log::warning("cloudshark: ring clean-up skipped: search reply has no \"captures\" list");
      return std::nullopt;
    }
    out.insert(out.end(), captures->begin(), captures->end());
    if (captures->size() < static_cast<std::size_t>(kSearchPageSize)) break;
  }
  return out;
}

// Keeps CloudShark a mirror of the ring after `filename` was uploaded as `id`. Failures are
// warnings only: the next file's run cleans up again.
void trim_ring(const CloudSharkClient& client, const CloudSharkSettings& settings, const std::string& filename,
               const std::string& id) {
  auto ring_name = parse_any_ring_file_name(filename);
  std::string prefix = ring_name ? ring_name->stem : "";
  if (prefix.empty()) {
    log::warning("cloudshark: ring clean-up skipped: " + filename + " is not named PREFIX-IFACE-SEQ");
    return;
  }
  auto captures = search_ring(client, prefix);
  if (!captures) return;
  for (const auto& doomed : captures_beyond_ring(*captures, prefix, settings.ring_size, id)) {
    HttpResponse d = client.delete_capture(doomed);
    if (!d.success() && d.status != 404)
      log::warning("cloudshark: " + client.failure("deleting capture " + doomed, d).message);
  }
}

}  // namespace

std::string clean_tag(std::string tag) {
  for (char& c : tag)
    if (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r') c = '_';
  return tag;
}

CloudSharkSettings load_cloudshark_settings(const std::map<std::string, std::string>& flags,
                                            const std::string& interface_name,
                                            const std::map<std::string, std::string>& environment) {
  const RequiredSetting<CloudSharkSettings> url{&CloudSharkSettings::url, "url", "CloudShark URL"};
  return load_stage_settings<CloudSharkSettings>(flags, interface_name, environment, url);
}

std::string cloudshark_tags(const HookFileInfo& file, const std::string& host, const std::vector<std::string>& extra) {
  std::string tags = "interface:" + clean_tag(file.interface_name.empty() ? "unknown" : file.interface_name) +
                     ",host:" + clean_tag(host) + ",sequence:" + std::to_string(file.sequence);
  for (const auto& t : extra) tags += "," + clean_tag(t);
  return tags;
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
  auto opened = open_capture_file(file.path);
  if (auto* refused = std::get_if<StageOutcome>(&opened)) return *refused;
  CloudSharkClient client(settings.url, token, http_options_of(settings));
  const std::string filename = std::filesystem::path(file.path).filename().string();
  HttpResponse r = client.upload(file.path, filename, cloudshark_tags(file, host, settings.tags));
  if (!r.success()) return client.failure("upload of " + file.path, r);
  auto id = cloudshark_upload_id(r.body);
  if (!id) return {kExitTempFail, "upload of " + file.path + ": reply without a capture id"};
  if (settings.ring) trim_ring(client, settings, filename, *id);
  return {kExitOk, "uploaded " + file.path + " to CloudShark as " + *id};
}

int run_cloudshark_hook(const CloudSharkSettings& settings, const HookFileInfo& file, const Environment& environment) {
  std::string token = read_secret({"cloudshark-token", settings.token_file, "[cloudshark] token_file"}, environment);
  StageOutcome outcome = run_cloudshark_upload(settings, token, file, local_host_name());
  if (outcome.code == kExitOk) std::cout << outcome.message << std::endl;
  else log::error("cloudshark: " + mask_token(outcome.message, token));
  return outcome.code;
}

}  // namespace pcap_ring
