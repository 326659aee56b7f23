// S3's XML replies (InitiateMultipartUploadResult, CompleteMultipartUploadResult, Error),
// read with expat. Only what the S3 stage needs: the root element's name and the text of the
// first element of a given name. Malformed XML is an error with expat's reason, never a crash.
#pragma once

#include <map>
#include <optional>
#include <string>

namespace pcap_ring {

class S3XmlReply {
 public:
  // The parsed reply, or nullopt with `*error` set ("line 1: mismatched tag").
  static std::optional<S3XmlReply> parse(const std::string& xml, std::string* error);

  const std::string& root() const { return root_; }
  // Text of the first element called `name` (entities decoded), "" if there is none.
  std::string text(const std::string& name) const;

 private:
  friend class S3XmlCollector;
  std::string root_;
  std::map<std::string, std::string> first_text_;
};

// "Code: Message" from an S3 <Error> reply, or "" if `body` is not one.
std::string s3_error_text(const std::string& body);

// The UploadId of an InitiateMultipartUploadResult, or nullopt with `*problem` set.
std::optional<std::string> s3_upload_id(const std::string& body, std::string* problem);

}  // namespace pcap_ring
