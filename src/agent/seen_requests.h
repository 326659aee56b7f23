// The request ids an agent has accepted, kept on disk so that a request replayed after a
// restart is still refused. Each id is kept only as long as the request could be accepted
// again: a signed request carries its send time and is refused once that is more than the
// clock skew in the past, so its id is remembered until then and forgotten after. The file is the agent's own state, but is read as input:
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
  // Opens (creating it) `path`, keeping the ids to be remembered at `now` or later. Returns 0
  // or the errno value of the step that failed.
  [[nodiscard]] int open(const std::string& path, NanoTime now);

  bool seen(const std::string& id) const { return ids_.count(id) != 0; }
  // Records `id` durably (appended and fdatasync'd), to be remembered until `until`, before the
  // caller acts on the request. Returns 0 or an errno value; the id is then not recorded.
  [[nodiscard]] int record(const std::string& id, NanoTime until, NanoTime now);

  std::size_t size() const { return ids_.size(); }
  std::size_t dropped_lines() const { return dropped_lines_; }

 private:
  void forget_before(NanoTime now);
  [[nodiscard]] int rewrite();

  std::string path_;
  UniqueFd fd_;
  std::unordered_map<std::string, NanoTime> ids_;  // id -> remembered until
  std::size_t dropped_lines_ = 0;
  std::size_t appended_ = 0;  // lines appended since the file was last rewritten
  bool damaged_ = false;      // an append failed: the file may end in part of a line
};

}  // namespace pcap_ring
