#include "agent/seen_requests.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>

#include "agent/agent_request.h"
#include "common/atomic_file.h"
#include "common/safe_open.h"

namespace pcap_ring {

int SeenRequests::open(const std::string& path, NanoTime now) {
  path_ = path;
  ids_.clear();
  dropped_lines_ = 0;
  std::string content;
  int err = read_regular_file(path, &content);
  if (err != 0 && err != ENOENT) return err;
  std::size_t start = 0;
  while (start < content.size()) {
    std::size_t end = content.find('\n', start);
    if (end == std::string::npos) {  // a line cut by a crash: never acted on, since not synced
      ++dropped_lines_;
      break;
    }
    std::string_view line(content.data() + start, end - start);
    start = end + 1;
    std::size_t space = line.find(' ');
    NanoTime at = 0;
    if (space == std::string_view::npos ||
        std::from_chars(line.data(), line.data() + space, at).ec != std::errc() ||
        std::from_chars(line.data(), line.data() + space, at).ptr != line.data() + space ||
        !valid_request_id(line.substr(space + 1))) {
      ++dropped_lines_;
      continue;
    }
    NanoTime& until = ids_[std::string(line.substr(space + 1))];
    until = std::max(until, at);
  }
  forget_before(now);
  if (int e = rewrite()) return e;
  return 0;
}

void SeenRequests::forget_before(NanoTime now) {
  for (auto it = ids_.begin(); it != ids_.end();) {
    if (it->second < now) it = ids_.erase(it);
    else ++it;
  }
}

int SeenRequests::rewrite() {
  std::string content;
  for (const auto& [id, at] : ids_) content += std::to_string(at) + " " + id + "\n";
  if (int err = write_file_atomically(path_, content)) return err;
  fd_.reset(::open(path_.c_str(), O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC));
  if (!fd_.valid()) return errno;
  appended_ = 0;
  damaged_ = false;
  return 0;
}

int SeenRequests::record(const std::string& id, NanoTime until, NanoTime now) {
  if (!valid_request_id(id)) return EINVAL;
  if (!fd_.valid()) return EBADF;
  // Now and then the file is rewritten without the ids too old to matter, so it stays small.
  // After a failed append the file may end in part of a line: it is rewritten whole first.
  if (appended_ >= 4096 || damaged_) {
    forget_before(now);
    if (int err = rewrite()) return err;
  }
  const std::string line = std::to_string(until) + " " + id + "\n";
  int err = write_all(fd_.get(), line.data(), line.size());
  if (err == 0 && ::fdatasync(fd_.get()) != 0) err = errno;
  if (err != 0) {
    damaged_ = true;
    return err;
  }
  ++appended_;
  ids_[id] = until;
  return 0;
}

}  // namespace pcap_ring
