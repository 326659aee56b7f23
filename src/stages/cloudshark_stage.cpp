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

std::string clean_tag(std::string tag) {
  for (char& c : tag)
    if (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r') c = '_';
  return tag;
}

using Spec = StageSpec<CloudSharkSettings>;

const std::vector<Spec>& specs() {
  static const std::vector<Spec> table = {
      {"url", "CLOUDSHARK_URL", "--url", "CloudShark base URL, e.g. https://cloudshark.example.com",
       [](CloudSharkSettings& s, const std::string& v) -> Problem {
         if (v.rfind("http://", 0) != 0 && v.rfind("https://", 0) != 0)
           return "expected a URL starting with http:// or https://";
         s.url = v;
         while (!s.url.empty() && s.url.back() == '/') s.url.pop_back();
         return std::nullopt;
       }},
      {"token_file", nullptr, "--token-file", "File holding the API token (root-only)",
       [](CloudSharkSettings& s, const std::string& v) -> Problem {
         if (v.empty()) return "expected a file name";
         s.token_file = v;
         return std::nullopt;
       }},
      {"ca_file", nullptr, "--ca-file", "CA certificates (PEM) to verify the server with",
       [](CloudSharkSettings& s, const std::string& v) -> Problem {
         if (v.empty()) return "expected a file name";
         s.ca_file = v;
         return std::nullopt;
       }},
      {"verify", nullptr, "--verify", "Verify the server's TLS certificate (default yes)",
       [](CloudSharkSettings& s, const std::string& v) { return parse_bool(v, &s.verify); }},
      {"timeout", nullptr, "--timeout", "Seconds one request may take (default 600)",
       [](CloudSharkSettings& s, const std::string& v) {
         return parse_uint(v, 1, 86400, "a whole number of seconds", &s.timeout_seconds);
       }},
      {"ring", nullptr, "--ring", "yes: keep CloudShark a mirror of the ring (delete uploads beyond ring_size)",
       [](CloudSharkSettings& s, const std::string& v) { return parse_bool(v, &s.ring); }},
      {"ring_size", nullptr, "--ring-size", "Files of this ring to keep on CloudShark in ring mode (default 10)",
       [](CloudSharkSettings& s, const std::string& v) {
         return parse_uint(v, 1, 1000000, "a whole number of files", &s.ring_size);
       }},
      {"tags", nullptr, "--tags", "Extra tags for every upload, comma-separated",
       [](CloudSharkSettings& s, const std::string& v) -> Problem {
         s.tags.clear();
         std::size_t start = 0;
         while (start <= v.size()) {
           auto comma = v.find(',', start);
           std::string tag = v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
           auto first = tag.find_first_not_of(" \t");
           auto last = tag.find_last_not_of(" \t");
           tag = first == std::string::npos ? "" : tag.substr(first, last - first + 1);
           if (!tag.empty()) {
             if (tag.find_first_of(" \t") != std::string::npos) return "expected comma-separated tags without spaces";
             s.tags.push_back(tag);
           }
           if (comma == std::string::npos) break;
           start = comma + 1;
         }
         return std::nullopt;
       }},
  };
  return table;
}

std::optional<std::uint64_t> ring_sequence(const std::string& filename, const std::string& prefix) {
  if (prefix.empty() || filename.rfind(prefix, 0) != 0) return std::nullopt;
  std::string rest = filename.substr(prefix.size());
  auto dot = rest.find('.');
  std::string digits = rest.substr(0, dot);
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  std::uint64_t seq = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), seq);
  if (ec != std::errc{}) return std::nullopt;
  return seq;
}

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
  std::string prefix = ring_name_prefix(filename);
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

CloudSharkSettings load_cloudshark_settings(const std::map<std::string, std::string>& flags,
                                            const std::string& interface_name,
                                            const std::map<std::string, std::string>& environment) {
  CloudSharkSettings settings;
  settings.config_dir = stage_config_dir(flags, environment);
  load_stage_settings(settings, specs(), "cloudshark", settings.config_dir, interface_name, flags, environment);
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

std::string ring_name_prefix(const std::string& filename) {
  std::string stem = filename.substr(0, filename.find('.'));
  auto dash = stem.rfind('-');
  if (dash == std::string::npos || dash + 1 >= stem.size()) return "";
  if (stem.find_first_not_of("0123456789", dash + 1) != std::string::npos) return "";
  return stem.substr(0, dash + 1);
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
    auto seq = ring_sequence(captures[i].filename, prefix);
    if (seq) ring.push_back({*seq, captures[i].id == keep_id, i, &captures[i]});
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

void add_cloudshark_hook_command(CLI::App& hook_app, int* exit_status) {
  CLI::App* cmd = hook_app.add_subcommand("cloudshark", "Upload FILE to CloudShark (ring mode: mirror the ring)");
  auto line = add_stage_flags(cmd, specs());
  cmd->footer(
      "Settings: [cloudshark] in CONFIG_DIR/packet-capture.conf and CONFIG_DIR/IFACE.conf, then CLOUDSHARK_URL,\n"
      "then flags. Token: systemd credential cloudshark-token, else token_file (a root-only file).\n"
      "Exit status: 0 uploaded, 75 retry later (network, timeout, 5xx), 1 refused (4xx), 78 bad settings, 64 bad flags.");
  cmd->callback([line, exit_status] {
    run_stage("cloudshark", exit_status, [&] {
      auto environment = current_environment();
      HookFileInfo info = hook_file_info_from_environment(line->file, environment);
      CloudSharkSettings settings = load_cloudshark_settings(line->flags(), info.interface_name, environment);
      std::string token =
          read_secret({"cloudshark-token", settings.token_file, "[cloudshark] token_file"}, environment);
      StageOutcome outcome = run_cloudshark_upload(settings, token, info, local_host_name());
      if (outcome.code == kExitOk) std::cout << outcome.message << std::endl;
      else log::error("cloudshark: " + mask_token(outcome.message, token));
      return outcome.code;
    });
  });
}

}  // namespace pcap_ring
