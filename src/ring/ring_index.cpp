#include "ring/ring_index.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <optional>
#include <nlohmann/json.hpp>

#include "common/atomic_file.h"
#include "common/safe_open.h"
#include "common/json_integer.h"

namespace pcap_ring {

void to_json(nlohmann::ordered_json& j, const FileRecord& r) {
  j = nlohmann::ordered_json{{"file", r.file},
                             {"sequence", r.sequence},
                             {"first", r.packets ? format_rfc3339_ns(r.first) : ""},
                             {"last", r.packets ? format_rfc3339_ns(r.last) : ""},
                             {"first_ns", r.first},
                             {"last_ns", r.last},
                             {"packets", r.packets},
                             {"bytes", r.bytes},
                             {"drops", r.drops},
                             {"flow_index_bytes", r.flow_index_bytes}};
}

void from_json(const nlohmann::json& j, FileRecord& r) {
  j.at("file").get_to(r.file);
  // Only integers that fit: a float or an out-of-range number is a damaged record, not a
  // conversion with undefined behaviour.
  r.sequence = json_integer<std::uint64_t>(j.at("sequence"));
  r.first = json_integer<NanoTime>(j.at("first_ns"));
  r.last = json_integer<NanoTime>(j.at("last_ns"));
  r.packets = json_integer<std::uint64_t>(j.at("packets"));
  r.bytes = json_integer<std::uint64_t>(j.at("bytes"));
  r.drops = json_integer<std::uint64_t>(j.at("drops"));
  // Absent in indexes written before flow indexes existed.
  r.flow_index_bytes = j.contains("flow_index_bytes") ? json_integer<std::uint64_t>(j.at("flow_index_bytes")) : 0;
  if (!is_valid_name_part(r.file))
    throw nlohmann::json::other_error::create(501, "file '" + r.file + "' is not a name inside the ring", &j);
}

namespace {

// One index line; file names are bytes, so text that is not UTF-8 is replaced, not thrown on.
std::string index_line(const FileRecord& r) {
  return nlohmann::ordered_json(r).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<FileRecord> parse_index_line(const std::string& line) {
  auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  try {
    return j.get<FileRecord>();
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

}  // namespace

bool RingIndex::load(std::vector<std::string>* warnings) {
  records_.clear();
  std::string text;
  if (int err = read_regular_file(path_, &text); err != 0) {
    if (err != ENOENT && warnings)
      warnings->push_back(path_ + ": not read: " + (err == ELOOP ? "is a symlink" : err == EINVAL ? "is not a regular file" : errno_text(err)));
    return err == ENOENT;
  }
  std::istringstream in(text);
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    if (auto r = parse_index_line(line)) {
      add(std::move(*r));
    } else if (warnings) {
      warnings->push_back(path_ + ":" + std::to_string(line_no) + ": unreadable index entry skipped");
    }
  }
  return true;
}

std::string RingIndex::text() const {
  std::string text;
  for (const auto& r : records_) {
    text += index_line(r);
    text += '\n';
  }
  return text;
}

int RingIndex::save() const { return write_file_atomically(path_, text()); }

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
