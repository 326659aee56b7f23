// `packet-capture hook s3 FILE`: pushes a finished ring file to an S3-compatible object store.
//
// Contract:
// - Settings, lowest precedence first: defaults, [s3] in <config_dir>/packet-capture.conf, [s3]
//   in <config_dir>/<PCAP_INTERFACE>.conf, environment (S3_ENDPOINT, S3_REGION, S3_BUCKET,
//   S3_PREFIX, S3_KEY_TEMPLATE), flags. config_dir: --config-dir, else CONFIG_DIR, else
//   /etc/packet-capture. A bad value is one line naming file:line, variable or flag (78; 64 for flags).
// - Credentials: systemd credentials s3-access-key-id / s3-secret-access-key, else the files
//   access_key_id_file / secret_access_key_file (root-only; see secrets.h).
// - Requests are signed by libcurl (CURLOPT_AWS_SIGV4, "aws:amz:REGION:s3"); the payload hash
//   header x-amz-content-sha256 is computed here (libcurl 7.88 does not send it).
// - Files up to multipart_threshold_mb MiB go in one PUT whose returned ETag must equal the
//   body's MD5; larger ones use a multipart upload (initiate, parts of part_size_mb MiB each
//   with its ETag checked, complete; abort on failure).
// - Exit status: 0 uploaded (one line on stdout: "uploaded FILE to s3://BUCKET/KEY (N bytes)");
//   75 network errors, timeouts, HTTP 408/429/5xx, checksum mismatch; 1 other HTTP errors
//   (403 bad signature, 404 no bucket); 78 bad settings or refused secrets; 64 bad flags.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/exit_codes.h"
#include "hooks/hook_environment.h"
#include "stages/s3_client.h"
#include "stages/stage_outcome.h"

namespace pcap_ring {

struct S3Settings {
  std::string endpoint;  // "" = AWS: https://s3.REGION.amazonaws.com
  std::string region = "us-east-1";
  std::string bucket;
  std::string key_template = "{prefix}/{host}/{iface}/{filename}";
  std::string prefix;
  std::string access_key_id_file;
  std::string secret_access_key_file;
  std::optional<bool> path_style;  // unset: yes for a custom endpoint, no for AWS
  std::uint64_t multipart_threshold_mb = 64;
  std::uint64_t part_size_mb = 16;
  std::string ca_file;
  bool verify = true;
  std::uint64_t timeout_seconds = 600;
  std::string config_dir = "/etc/packet-capture";

  bool use_path_style() const { return path_style.value_or(!endpoint.empty()); }
};

// What the key template's placeholders stand for.
struct S3KeyFields {
  std::string prefix;
  std::string host;
  std::string interface_name;
  std::string filename;
  std::uint64_t sequence = 0;  // {sequence}: zero-padded to 6 digits, as in file names
};

// Problems with a template ("unknown placeholder {x}"), or nullopt if it is usable.
std::optional<std::string> check_key_template(const std::string& key_template);
// Replaces the placeholders; empty path segments (an empty prefix) are dropped.
std::string expand_key_template(const std::string& key_template, const S3KeyFields& fields);

// Where the settings put objects.
S3Location s3_location_of(const S3Settings& settings);
// https://endpoint/bucket/key (path style) or https://bucket.endpoint/key, key URI-encoded.
std::string s3_object_url(const S3Settings& settings, const std::string& key);

// Builds the settings from all layers. `flags` maps INI key names to what the command line
// gave. Throws StartupError.
S3Settings load_s3_settings(const std::map<std::string, std::string>& flags, const std::string& interface_name,
                            const std::map<std::string, std::string>& environment);

// Uploads `file` (its path, interface and sequence) under the expanded key.
StageOutcome run_s3_upload(const S3Settings& settings, const S3Credentials& credentials, const HookFileInfo& file,
                           const std::string& host);

// Adds `s3 FILE` with its flags to `hook_app`; its callback stores the exit status.
void add_s3_hook_command(CLI::App& hook_app, int* exit_status);

}  // namespace pcap_ring
