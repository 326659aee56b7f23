#include "log.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>

namespace pcap_ring::log {
namespace {
std::atomic<int> g_threshold{static_cast<int>(Level::kInfo)};

bool under_journal() {
  static const bool journal = std::getenv("JOURNAL_STREAM") != nullptr;
  return journal;
}

const char* label(Level level) {
  switch (level) {
    case Level::kError: return "error: ";
    case Level::kWarning: return "warning: ";
    default: return "";
  }
}
}  // namespace

void set_threshold(Level level) { g_threshold = static_cast<int>(level); }

void write(Level level, std::string_view message) {
  if (static_cast<int>(level) > g_threshold) return;
  std::string line;
  if (under_journal()) {
    line = "<" + std::to_string(static_cast<int>(level)) + ">";
  } else {
    line = "packet-capture: ";
  }
  line += label(level);
  line += message;
  line += '\n';
  // One write() per line keeps lines from different threads whole.
  ssize_t rc = ::write(STDERR_FILENO, line.data(), line.size());
  (void)rc;  // nowhere left to report a failing stderr
}

}  // namespace pcap_ring::log
