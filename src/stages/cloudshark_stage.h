// `packet-capture hook cloudshark FILE`: uploads a finished ring file to CloudShark and, in
// ring mode, keeps CloudShark a mirror of the ring.
//
// Contract:
// - Settings, lowest precedence first: defaults, [cloudshark] in <config_dir>/packet-capture.conf,
//   [cloudshark] in <config_dir>/<PCAP_INTERFACE>.conf, environment (CLOUDSHARK_URL), flags.
//   config_dir: --config-dir, else CONFIG_DIR, else the built-in configuration directory.
// - Token: systemd credential `cloudshark-token`, else token_file (root-only; see secrets.h).
//   The token is part of every API URL; it is replaced by "***" in anything printed.
// - Upload: POST {url}/api/v1/{token}/upload, multipart fields `file`, `filename` and
//   `additional_tags` = interface:IFACE,host:HOST,sequence:N plus the configured tags.
//   Reply 200 {"filename":…,"id":…}; errors 4xx/5xx {"status":…,"exceptions":[…]}.
// - Ring mode (ring = yes): after the upload, GET {url}/api/v1/{token}/search?search[filename]=
//   PREFIX-IFACE- lists the ring's earlier uploads; files whose names are exactly
//   PREFIX-IFACE-SEQ.EXT are ordered by SEQ and all but the newest ring_size (one capture per
//   sequence, the one just uploaded preferred) are removed with POST …/delete/{id}. Failing
//   clean-up is a warning only: the upload is done and the next file's run cleans up again.
// - Exit status: 0 uploaded (one line on stdout: "uploaded FILE to CloudShark as ID"); 75
//   network errors, timeouts, HTTP 408/429/5xx; 1 other HTTP errors (401 bad token, 422 not a
//   capture); 78 bad settings or refused token; 64 bad flags.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "config/stage_settings.h"
#include "hooks/hook_environment.h"
#include "stages/cloudshark_client.h"
#include "stages/stage_outcome.h"

namespace pcap_ring {

// Builds the settings from all layers; `flags` maps INI key names to what the command line
// gave. Throws StartupError.
CloudSharkSettings load_cloudshark_settings(const std::map<std::string, std::string>& flags,
                                            const std::string& interface_name,
                                            const std::map<std::string, std::string>& environment);

// One tag: ',' and whitespace (which would split or pad the tag list) become '_'.
std::string clean_tag(std::string tag);

// "interface:eth0,host:h,sequence:42,extra" (',' and whitespace inside values become '_').
std::string cloudshark_tags(const HookFileInfo& file, const std::string& host, const std::vector<std::string>& extra);


// The ids to delete so that at most `keep` sequences of the ring `prefix` remain, newest by
// sequence; captures of other rings are never chosen; `keep_id` (just uploaded) is never chosen.
std::vector<std::string> captures_beyond_ring(const std::vector<CloudSharkCapture>& captures, const std::string& prefix,
                                              std::uint64_t keep, const std::string& keep_id);

// Uploads `file` and, in ring mode, removes the ring's uploads beyond ring_size. The outcome's
// message never holds the token.
StageOutcome run_cloudshark_upload(const CloudSharkSettings& settings, const std::string& token,
                                   const HookFileInfo& file, const std::string& host);

// The stage's work for one file, settings loaded: reads the token, uploads, prints one line;
// returns the exit status.
int run_cloudshark_hook(const CloudSharkSettings& settings, const HookFileInfo& file, const Environment& environment);

}  // namespace pcap_ring
