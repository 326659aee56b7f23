// The request ids an agent has accepted, kept on disk so that a request replayed after a
// restart is still refused. Only recent ids are kept: a signed request carries its send time
// and is refused outside the clock skew anyway, so an id older than twice the skew can never
// be accepted again and is forgotten. The file is the agent's own state, but is read as input:
// a line that does not parse is dropped (and counted), never trusted.
#pragma once

#include <cstddef>
#include <string>
#include <unordered_map>

#include "common/timestamp.h"
#include "common/unique_fd.h"

namespace pcap_ring {

class SeenRequests {
 public:
  // Opens (creating it) `path`, keeping ids recorded at or after now - keep_for. Returns 0 or
  // the errno value of the step that failed.
  [[nodiscard]] int open(const std::string& path, NanoTime keep_for, NanoTime now);

  bool seen(const std::string& id) const { return ids_.count(id) != 0; }
  // Records `id` durably (appended and fdatasync'd) before the caller acts on the request.
  // Returns 0 or an errno value; the id is then not recorded.
  [[nodiscard]] int record(const std::string& id, NanoTime now);

  std::size_t size() const { return ids_.size(); }
  std::size_t dropped_lines() const { return dropped_lines_; }

 private:
  void forget_older_than(NanoTime cutoff);
  [[nodiscard]] int rewrite();

  std::string path_;
  NanoTime keep_for_ = 0;
  UniqueFd fd_;
  std::unordered_map<std::string, NanoTime> ids_;
  std::size_t dropped_lines_ = 0;
  std::size_t appended_ = 0;  // lines appended since the file was last rewritten
  bool damaged_ = false;      // an append failed: the file may end in part of a line
};

}  // namespace pcap_ring
