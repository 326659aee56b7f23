#include "ring/ring_index.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/atomic_file.h"
#include "common/json_integer.h"

namespace pcap_ring {

std::string index_file_name(const RingId& ring) {
  return "." + ring.prefix + "-" + ring.interface_name + ".index";
}

std::string record_to_json_line(const FileRecord& r) {
  nlohmann::ordered_json j;
  j["file"] = r.file;
  j["sequence"] = r.sequence;
  j["first"] = r.packets ? format_rfc3339_ns(r.first) : "";
  j["last"] = r.packets ? format_rfc3339_ns(r.last) : "";
  j["first_ns"] = r.first;
  j["last_ns"] = r.last;
  j["packets"] = r.packets;
  j["bytes"] = r.bytes;
  j["drops"] = r.drops;
  // File names are bytes; anything that is not UTF-8 is replaced rather than thrown on.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool record_from_json_line(const std::string& line, FileRecord* r) {
  auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return false;
  try {
    r->file = j.at("file").get<std::string>();
    r->sequence = json_integer<std::uint64_t>(j.at("sequence"));
    r->first = json_integer<NanoTime>(j.at("first_ns"));
    r->last = json_integer<NanoTime>(j.at("last_ns"));
    r->packets = json_integer<std::uint64_t>(j.at("packets"));
    r->bytes = json_integer<std::uint64_t>(j.at("bytes"));
    r->drops = json_integer<std::uint64_t>(j.at("drops"));
  } catch (const nlohmann::json::exception&) {
    return false;
  }
  return !r->file.empty() && r->file.find('/') == std::string::npos;
}

bool RingIndex::load(std::vector<std::string>* warnings) {
  records_.clear();
  std::ifstream in(path_);
  if (!in) return errno == ENOENT;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    FileRecord r;
    if (record_from_json_line(line, &r)) {
      add(std::move(r));
    } else if (warnings) {
      warnings->push_back(path_ + ":" + std::to_string(line_no) + ": unreadable index entry skipped");
    }
  }
  return true;
}

int RingIndex::save() const {
  std::string text;
  for (const auto& r : records_) {
    text += record_to_json_line(r);
    text += '\n';
  }
  return write_file_atomically(path_, text);
}

void RingIndex::add(FileRecord record) {
  remove(record.sequence);
  auto pos = std::upper_bound(records_.begin(), records_.end(), record.sequence,
                              [](std::uint64_t seq, const FileRecord& r) { return seq < r.sequence; });
  records_.insert(pos, std::move(record));
}

void RingIndex::remove(std::uint64_t sequence) {
  std::erase_if(records_, [&](const FileRecord& r) { return r.sequence == sequence; });
}

bool RingIndex::contains(std::uint64_t sequence) const {
  return std::any_of(records_.begin(), records_.end(),
                     [&](const FileRecord& r) { return r.sequence == sequence; });
}

}  // namespace pcap_ring
