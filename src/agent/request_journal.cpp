#include "agent/request_journal.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "agent/agent_request.h"
#include "common/atomic_file.h"
#include "common/safe_open.h"

namespace pcap_ring {
namespace {

constexpr const char* kSuffix = ".json";

std::optional<JournalEntry::State> parse_state(const std::string& name) {
  if (name == "running") return JournalEntry::State::kRunning;
  if (name == "final") return JournalEntry::State::kFinal;
  if (name == "answered") return JournalEntry::State::kAnswered;
  return std::nullopt;
}

nlohmann::json to_json(const JournalEntry& e) {
  nlohmann::json j;
  j["id"] = e.id;
  j["state"] = journal_state_name(e.state);
  j["body"] = e.message.body;
  j["key_id"] = e.message.key_id;
  j["algorithm"] = e.message.algorithm;
  j["signature"] = e.message.signature;
  j["accepted_at"] = e.accepted_at;
  j["from"] = e.from;
  j["to"] = e.to;
  j["reply_to"] = e.reply_to;
  j["answers"] = e.answers;
  return j;
}

bool from_json(const std::string& text, JournalEntry* e, std::string* error) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto str = [&](const char* key, std::string* out) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return false;
    *out = it->get<std::string>();
    return true;
  };
  auto num = [&](const char* key, NanoTime* out) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number_integer()) return false;
    *out = it->get<NanoTime>();
    return true;
  };
  std::string state;
  if (!j.is_object() || !str("id", &e->id) || !str("state", &state) || !str("body", &e->message.body) ||
      !str("key_id", &e->message.key_id) || !str("algorithm", &e->message.algorithm) ||
      !str("signature", &e->message.signature) || !num("accepted_at", &e->accepted_at) || !num("from", &e->from) ||
      !num("to", &e->to) || !str("reply_to", &e->reply_to) || !j.contains("answers") || !j["answers"].is_array()) {
    *error = "not a journal entry";
    return false;
  }
  auto parsed = parse_state(state);
  if (!parsed || !valid_request_id(e->id) || e->to < e->from) {
    *error = "bad state, id or window";
    return false;
  }
  e->state = *parsed;
  e->answers.clear();
  for (const auto& a : j["answers"]) e->answers.push_back(a);
  return true;
}

}  // namespace

const char* journal_state_name(JournalEntry::State state) {
  switch (state) {
    case JournalEntry::State::kRunning: return "running";
    case JournalEntry::State::kFinal: return "final";
    case JournalEntry::State::kAnswered: return "answered";
  }
  return "running";
}

int RequestJournal::open(const std::string& directory) {
  directory_ = directory;
  if (::mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST) return errno;
  struct stat st {};
  if (::lstat(directory.c_str(), &st) != 0) return errno;
  if (!S_ISDIR(st.st_mode)) return ENOTDIR;
  return 0;
}

std::string RequestJournal::path_of(const std::string& id) const { return directory_ + "/" + id + kSuffix; }

std::optional<JournalEntry> RequestJournal::load(const std::string& id, std::string* error) const {
  if (!valid_request_id(id)) return std::nullopt;
  std::string text;
  int err = read_regular_file(path_of(id), &text);
  if (err == ENOENT) return std::nullopt;
  if (err != 0) {
    *error = path_of(id) + ": " + errno_text(err);
    return std::nullopt;
  }
  JournalEntry e;
  std::string why;
  if (!from_json(text, &e, &why) || e.id != id) {
    *error = path_of(id) + ": " + (why.empty() ? "names another id" : why);
    return std::nullopt;
  }
  return e;
}

int RequestJournal::save(const JournalEntry& entry) const {
  if (!valid_request_id(entry.id)) return EINVAL;
  return write_file_atomically(path_of(entry.id), to_json(entry).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

std::vector<JournalEntry> RequestJournal::entries(std::vector<std::string>* problems) const {
  std::vector<std::pair<NanoTime, JournalEntry>> found;
  DIR* dir = ::opendir(directory_.c_str());
  if (dir == nullptr) {
    problems->push_back(directory_ + ": " + errno_text(errno));
    return {};
  }
  while (struct dirent* d = ::readdir(dir)) {
    std::string name = d->d_name;
    if (name.size() <= 5 || name.compare(name.size() - 5, 5, kSuffix) != 0 || name[0] == '.') continue;
    std::string error;
    auto e = load(name.substr(0, name.size() - 5), &error);
    if (!error.empty()) problems->push_back(error);
    if (e) found.emplace_back(e->accepted_at, std::move(*e));
  }
  ::closedir(dir);
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<JournalEntry> out;
  for (auto& f : found) out.push_back(std::move(f.second));
  return out;
}

void RequestJournal::prune(NanoTime now, NanoTime keep) const {
  std::vector<std::string> problems;
  for (const auto& e : entries(&problems))
    if (e.state == JournalEntry::State::kAnswered && e.accepted_at + keep < now) ::unlink(path_of(e.id).c_str());
}

}  // namespace pcap_ring
