#include "stages/s3_stage.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <variant>

#include "config/capture_config.h"
#include "config/ini_file.h"
#include "common/log.h"
#include "stages/s3_checksum.h"
#include "stages/s3_xml.h"
#include "stages/secrets.h"
#include "stages/stage_files.h"
#include "stages/stage_runner.h"
#include "config/stage_settings.h"
#include "common/unique_fd.h"

namespace pcap_ring {
namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;
constexpr std::uint64_t kMaxParts = 10000;

std::string upload_line(const std::string& path, const std::string& target, std::uint64_t size,
                        const std::string& extra) {
  return "uploaded " + path + " to " + target + " (" + std::to_string(size) + " bytes" + extra + ")";
}

// What one upload works on.
struct S3Upload {
  const S3Client& client;
  int fd;
  std::uint64_t size;
  const std::string& path;
  const Url& url;
  const std::string& target;  // s3://BUCKET/KEY, for messages
  std::string content_type = "Content-Type: application/vnd.tcpdump.pcap";
};

StageOutcome put_whole_file(const S3Upload& u) {
  RangeHashes h;
  if (int err = hash_range(u.fd, 0, u.size, &h, nullptr)) return {kExitFailure, u.path + ": read: " + errno_text(err)};
  FileRangeBody body(u.fd, 0, u.size);
  HttpResponse r = u.client.put(u.url, body, h.sha256_hex, {u.content_type});
  if (!r.success()) return S3Client::failure("PUT " + u.target, r);
  std::string etag = unquote_etag(r.header("etag"));
  if (etag != h.md5_hex)
    return {kExitTempFail, "PUT " + u.target + ": checksum mismatch: ETag '" + etag + "', MD5 of the file " + h.md5_hex};
  return {kExitOk, upload_line(u.path, u.target, u.size, "")};
}

// Uploads the parts of a started multipart upload; fills `complete_xml` and `part_md5s`.
StageOutcome put_parts(const S3Upload& u, const std::string& upload_id, std::uint64_t part_size, Digest* whole,
                       std::string* complete_xml, std::vector<std::string>* part_md5s) {
  *complete_xml = "<CompleteMultipartUpload>";
  for (std::uint64_t offset = 0, number = 1; offset < u.size; offset += part_size, ++number) {
    std::uint64_t length = std::min(part_size, u.size - offset);
    RangeHashes h;
    if (int err = hash_range(u.fd, offset, length, &h, whole))
      return {kExitFailure, u.path + ": read: " + errno_text(err)};
    FileRangeBody body(u.fd, offset, length);
    Url part_url = u.url;
    part_url.add_query("partNumber", std::to_string(number)).add_query("uploadId", upload_id);
    HttpResponse r = u.client.put(part_url, body, h.sha256_hex, {});
    std::string what = "uploading part " + std::to_string(number) + " of " + u.target;
    if (!r.success()) return S3Client::failure(what, r);
    std::string etag = unquote_etag(r.header("etag"));
    if (etag != h.md5_hex) return {kExitTempFail, what + ": checksum mismatch: ETag '" + etag + "', MD5 " + h.md5_hex};
    part_md5s->push_back(h.md5_hex);
    *complete_xml += "<Part><PartNumber>" + std::to_string(number) + "</PartNumber><ETag>\"" + etag + "\"</ETag></Part>";
  }
  *complete_xml += "</CompleteMultipartUpload>";
  return {kExitOk, ""};
}

// Checks the completed object's ETag against the parts.
StageOutcome check_completed_etag(const S3Upload& u, const std::string& reply_body,
                                  const std::vector<std::string>& part_md5s, const std::string& whole_md5) {
  // AWS gives MD5(part MD5s)-N; some compatible servers give the whole object's MD5.
  std::string problem;
  auto reply = S3XmlReply::parse(reply_body, &problem);
  std::string etag = reply ? unquote_etag(reply->text("ETag")) : "";
  if (etag != multipart_etag(part_md5s) && etag != whole_md5)
    return {kExitTempFail, "completing multipart upload of " + u.target + ": checksum mismatch: ETag '" + etag +
                               "', expected " + multipart_etag(part_md5s) + " or " + whole_md5};
  return {kExitOk, upload_line(u.path, u.target, u.size, ", " + std::to_string(part_md5s.size()) + " parts")};
}

// Initiate, parts, complete; an upload that fails after initiation is aborted.
StageOutcome put_multipart(const S3Upload& u, std::uint64_t part_size_mb) {
  // Parts of part_size, grown if the file would need more than 10000 of them.
  std::uint64_t part_size = part_size_mb * kMiB;
  while ((u.size + part_size - 1) / part_size > kMaxParts) part_size *= 2;

  Url init_url = u.url;
  init_url.add_query("uploads", "");
  HttpResponse init = u.client.post(init_url, "", {u.content_type});
  const std::string initiating = "initiating multipart upload of " + u.target;
  if (!init.success()) return S3Client::failure(initiating, init);
  std::string problem;
  auto upload_id = s3_upload_id(init.body, &problem);
  if (!upload_id) return {kExitTempFail, initiating + ": " + problem};
  Url id_url = u.url;
  id_url.add_query("uploadId", *upload_id);

  auto abort_upload = [&](StageOutcome outcome) {
    HttpResponse r = u.client.remove(id_url);
    if (!r.success()) log::warning(S3Client::failure("aborting multipart upload of " + u.target, r).message);
    return outcome;
  };

  Digest whole(EVP_md5());
  std::string complete_xml;
  std::vector<std::string> part_md5s;
  StageOutcome parts = put_parts(u, *upload_id, part_size, &whole, &complete_xml, &part_md5s);
  if (!parts.ok()) return abort_upload(parts);
  HttpResponse done = u.client.post(id_url, complete_xml, {"Content-Type: application/xml"});
  // S3 may answer 200 and still report an error in the body.
  if (!done.success() || !s3_error_text(done.body).empty()) {
    if (done.success()) done.status = 500;
    return abort_upload(S3Client::failure("completing multipart upload of " + u.target, done));
  }
  return check_completed_etag(u, done.body, part_md5s, whole.hex());
}

}  // namespace

std::string expand_key_template(const std::string& t, const S3KeyFields& f) {
  std::string out;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] != '{') {
      out += t[i];
      continue;
    }
    auto end = t.find('}', i);
    std::string name = t.substr(i + 1, end - i - 1);
    if (name == "prefix") {
      out += f.prefix;
    } else if (name == "host") {
      out += f.host;
    } else if (name == "iface") {
      out += f.interface_name;
    } else if (name == "filename") {
      out += f.filename;
    } else if (name == "sequence") {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%06llu", static_cast<unsigned long long>(f.sequence));
      out += buf;
    }
    i = end;
  }
  // Drop empty segments: "/host//x" from an empty prefix or interface becomes "host/x".
  std::string key;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] == '/' && (key.empty() || key.back() == '/')) continue;
    key += out[i];
  }
  while (!key.empty() && key.back() == '/') key.pop_back();
  return key;
}

S3Location s3_location_of(const S3Settings& settings) {
  return {settings.endpoint, settings.region, settings.bucket, settings.use_path_style()};
}

std::string s3_object_url(const S3Settings& settings, const std::string& key) {
  return s3_object_url(s3_location_of(settings), key).str();
}

S3Settings load_s3_settings(const std::map<std::string, std::string>& flags, const std::string& interface_name,
                            const std::map<std::string, std::string>& environment) {
  const RequiredSetting<S3Settings> bucket{&S3Settings::bucket, "bucket", "S3 bucket"};
  return load_stage_settings<S3Settings>(flags, interface_name, environment, bucket);
}

namespace {
StageOutcome upload_open_file(const S3Settings& settings, const S3Credentials& credentials, int fd, std::uint64_t size,
                              const std::string& path, const std::string& key, const std::string& content_type) {
  const S3Location location = s3_location_of(settings);
  const Url url = s3_object_url(location, key);
  const std::string target = "s3://" + settings.bucket + "/" + key;
  S3Client client(location, credentials, http_options_of(settings));
  S3Upload upload{client, fd, size, path, url, target};
  if (!content_type.empty()) upload.content_type = "Content-Type: " + content_type;
  if (size <= settings.multipart_threshold_mb * kMiB) return put_whole_file(upload);
  return put_multipart(upload, settings.part_size_mb);
}
}  // namespace

StageOutcome run_s3_upload(const S3Settings& settings, const S3Credentials& credentials, const HookFileInfo& file,
                           const std::string& host) {
  auto opened = open_capture_file(file.path);
  if (auto* refused = std::get_if<StageOutcome>(&opened)) return *refused;
  const auto& capture = std::get<OpenCaptureFile>(opened);

  S3KeyFields fields{settings.prefix, host, file.interface_name,
                     std::filesystem::path(file.path).filename().string(), file.sequence};
  const std::string key = expand_key_template(settings.key_template, fields);
  if (key.empty()) return {kExitConfig, "key_template '" + settings.key_template + "' expands to an empty key"};
  return upload_open_file(settings, credentials, capture.fd.get(), capture.size, file.path, key, "");
}

StageOutcome upload_file_to_key(const S3Settings& settings, const S3Credentials& credentials, const std::string& path,
                                const std::string& key, const std::string& content_type) {
  auto opened = open_capture_file(path);
  if (auto* refused = std::get_if<StageOutcome>(&opened)) return *refused;
  const auto& file = std::get<OpenCaptureFile>(opened);
  return upload_open_file(settings, credentials, file.fd.get(), file.size, path, key, content_type);
}

int run_s3_hook(const S3Settings& settings, const HookFileInfo& file, const Environment& environment) {
  S3Credentials credentials;
  credentials.access_key_id =
      read_secret({"s3-access-key-id", settings.access_key_id_file, "[s3] access_key_id_file"}, environment);
  credentials.secret_access_key = read_secret(
      {"s3-secret-access-key", settings.secret_access_key_file, "[s3] secret_access_key_file"}, environment);
  StageOutcome outcome = run_s3_upload(settings, credentials, file, local_host_name());
  if (outcome.code == kExitOk) std::cout << outcome.message << std::endl;
  else log::error("s3: " + outcome.message);
  return outcome.code;
}

}  // namespace pcap_ring
