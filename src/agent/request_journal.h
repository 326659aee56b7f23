// The agent's record of each request it accepted, one small JSON file per request id in the
// state directory, replaced atomically at each step: "running" (with the message, so a
// request cut short by a crash or SIGKILL is answered again after a restart, writing the
// same result paths), then "final" with the answers, then "answered" once they were sent. A
// restart resumes "running" entries and sends the answers of "final" ones: one set of
// results and one final answer per request and interface. The files are the agent's own, but
// are read as input: one that does not parse is reported and left alone.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "agent/request_admission.h"
#include "common/timestamp.h"

namespace pcap_ring {

struct JournalEntry {
  enum class State { kRunning, kFinal, kAnswered };
  State state = State::kRunning;
  std::string id;
  BusMessage message;  // as received: re-parsed (not re-admitted) when resumed
  NanoTime accepted_at = 0;
  NanoTime from = 0;  // the window chosen at acceptance (a live window starts then)
  NanoTime to = 0;
  std::string reply_to;
  std::vector<nlohmann::json> answers;  // final answers, one per interface
};

const char* journal_state_name(JournalEntry::State state);

class RequestJournal {
 public:
  // Creates `directory` (mode 0700) when missing. Returns 0 or an errno value.
  [[nodiscard]] int open(const std::string& directory);
  // Nothing when the request has no entry; *error set when its file cannot be read or parsed.
  std::optional<JournalEntry> load(const std::string& id, std::string* error) const;
  // Returns 0 or an errno value.
  [[nodiscard]] int save(const JournalEntry& entry) const;
  // Every entry, oldest first; *problems lists the files that could not be read.
  std::vector<JournalEntry> entries(std::vector<std::string>* problems) const;
  // Removes answered entries accepted more than `keep` ago (until then their ids are refused
  // for new requests: they name result paths).
  void prune(NanoTime now, NanoTime keep) const;

 private:
  std::string path_of(const std::string& id) const;
  std::string directory_;
};

}  // namespace pcap_ring
