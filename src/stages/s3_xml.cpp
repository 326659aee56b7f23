#include "stages/s3_xml.h"

#include <expat.h>

#include <memory>
#include <vector>

namespace pcap_ring {

// Collects the text of each element name's first occurrence while expat walks the document.
class S3XmlCollector {
 public:
  explicit S3XmlCollector(S3XmlReply* reply) : reply_(reply) {}

  static void on_start(void* self, const XML_Char* name, const XML_Char**) {
    auto* c = static_cast<S3XmlCollector*>(self);
    if (c->open_.empty()) c->reply_->root_ = name;
    c->open_.push_back({name, ""});
  }
  static void on_end(void* self, const XML_Char*) {
    auto* c = static_cast<S3XmlCollector*>(self);
    if (c->open_.empty()) return;
    auto& [name, text] = c->open_.back();
    c->reply_->first_text_.try_emplace(name, text);
    c->open_.pop_back();
  }
  static void on_text(void* self, const XML_Char* data, int length) {
    auto* c = static_cast<S3XmlCollector*>(self);
    if (!c->open_.empty()) c->open_.back().second.append(data, static_cast<std::size_t>(length));
  }

 private:
  S3XmlReply* reply_;
  std::vector<std::pair<std::string, std::string>> open_;
};

namespace {
struct ParserDeleter {
  void operator()(XML_Parser p) const { XML_ParserFree(p); }
};
}  // namespace

std::optional<S3XmlReply> S3XmlReply::parse(const std::string& xml, std::string* error) {
  std::unique_ptr<XML_ParserStruct, ParserDeleter> parser(XML_ParserCreate(nullptr));
  if (!parser) throw std::bad_alloc();
  S3XmlReply reply;
  S3XmlCollector collector(&reply);
  XML_SetUserData(parser.get(), &collector);
  XML_SetElementHandler(parser.get(), S3XmlCollector::on_start, S3XmlCollector::on_end);
  XML_SetCharacterDataHandler(parser.get(), S3XmlCollector::on_text);
  if (XML_Parse(parser.get(), xml.data(), static_cast<int>(xml.size()), /*isFinal=*/1) != XML_STATUS_OK) {
    *error = "line " + std::to_string(XML_GetCurrentLineNumber(parser.get())) + ": " +
             XML_ErrorString(XML_GetErrorCode(parser.get()));
    return std::nullopt;
  }
  return reply;
}

std::string S3XmlReply::text(const std::string& name) const {
  auto it = first_text_.find(name);
  return it == first_text_.end() ? std::string() : it->second;
}

std::string s3_error_text(const std::string& body) {
  std::string error;
  auto reply = S3XmlReply::parse(body, &error);
  if (!reply || reply->root() != "Error") return "";
  std::string code = reply->text("Code");
  std::string message = reply->text("Message");
  if (code.empty()) return message;
  return message.empty() ? code : code + ": " + message;
}

std::optional<std::string> s3_upload_id(const std::string& body, std::string* problem) {
  std::string error;
  auto reply = S3XmlReply::parse(body, &error);
  if (!reply) {
    *problem = "reply is not XML (" + error + ")";
    return std::nullopt;
  }
  std::string id = reply->text("UploadId");
  if (id.empty()) {
    *problem = "no UploadId in the reply";
    return std::nullopt;
  }
  return id;
}

}  // namespace pcap_ring
