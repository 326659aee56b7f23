// `packet-capture hook s3 FILE`: pushes a finished ring file to an S3-compatible object store.
//
// Contract:
// - Settings, lowest precedence first: defaults, [s3] in <config_dir>/packet-capture.conf, [s3]
//   in <config_dir>/<PCAP_INTERFACE>.conf, environment (S3_ENDPOINT, S3_REGION, S3_BUCKET,
//   S3_PREFIX, S3_KEY_TEMPLATE), flags. config_dir: --config-dir, else CONFIG_DIR, else
//   the built-in configuration directory. A bad value is one line naming file:line, variable or flag (78; 64 for flags).
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

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/stage_settings.h"
#include "common/exit_codes.h"
#include "hooks/hook_environment.h"
#include "stages/s3_client.h"
#include "stages/stage_outcome.h"

namespace pcap_ring {

// What the key template's placeholders stand for.
struct S3KeyFields {
  std::string prefix;
  std::string host;
  std::string interface_name;
  std::string filename;
  std::uint64_t sequence = 0;  // {sequence}: zero-padded to 6 digits, as in file names
};

// check_key_template (config/stage_settings.h) tells whether a template is usable.
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

// Uploads the file at `path` under `key` exactly (the agent's result objects); an empty
// content type means the pcap one.
StageOutcome upload_file_to_key(const S3Settings& settings, const S3Credentials& credentials, const std::string& path,
                                const std::string& key, const std::string& content_type);

// The stage's work for one file, settings loaded: reads the credentials, uploads, prints one
// line; returns the exit status.
int run_s3_hook(const S3Settings& settings, const HookFileInfo& file, const Environment& environment);

}  // namespace pcap_ring
