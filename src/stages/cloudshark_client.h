// The CloudShark API as the CloudShark stage uses it: upload, search by file name, delete.
//
// The API token is part of every URL ({url}/api/v1/{token}/...); `masked` and `failure`
// replace it (plain and URL-encoded) with "***" so it never reaches a log line.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "stages/http_client.h"
#include "stages/stage_outcome.h"

namespace pcap_ring {

struct CloudSharkCapture {
  std::string id;
  std::string filename;
};

// `text` with every occurrence of `token` replaced by "***".
std::string mask_token(const std::string& text, const std::string& token);

// The exceptions of a CloudShark error body joined by "; ", or "" if there are none.
std::string cloudshark_error_text(const std::string& body);

// The capture id of an upload reply {"filename":…,"id":…}, or nullopt.
std::optional<std::string> cloudshark_upload_id(const std::string& body);

// The captures of a search reply {"captures":[{"id":…,"filename":…},…]}, or nullopt if the
// reply has no such list.
std::optional<std::vector<CloudSharkCapture>> cloudshark_search_captures(const std::string& body);

class CloudSharkClient {
 public:
  // `base_url`: e.g. https://cloudshark.example.com (no trailing '/').
  CloudSharkClient(std::string base_url, std::string token, HttpOptions http);

  // POST …/upload: multipart fields file, filename and additional_tags.
  HttpResponse upload(const std::string& path, const std::string& filename, const std::string& tags) const;
  // GET …/search?search[filename]=PREFIX&search[limit]=N&search[page]=P
  HttpResponse search(const std::string& filename_prefix, int page, int page_size) const;
  // POST …/delete/ID
  HttpResponse delete_capture(const std::string& id) const;

  // The API URL of `call` (e.g. "upload"): {url}/api/v1/{token}/{call}.
  Url api(const std::string& call) const;
  std::string masked(const std::string& text) const;
  // The failed outcome of `what`, with CloudShark's exceptions, token masked.
  StageOutcome failure(const std::string& what, const HttpResponse& response) const;

 private:
  std::string base_url_;
  std::string token_;
  HttpOptions http_;
};

}  // namespace pcap_ring
