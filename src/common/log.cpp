#include "common/log.h"

#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace pcap_ring::log {
namespace {

// systemd sets JOURNAL_STREAM to the device and inode of the stream it connected; only if
// stderr is still that stream do messages belong in the journal directly.
bool stderr_is_journal() {
  static const bool journal = [] {
    const char* js = std::getenv("JOURNAL_STREAM");
    if (!js) return false;
    unsigned long long dev = 0, ino = 0;
    if (std::sscanf(js, "%llu:%llu", &dev, &ino) != 2) return false;
    struct stat st {};
    if (fstat(STDERR_FILENO, &st) != 0) return false;
    return st.st_dev == dev && st.st_ino == ino;
  }();
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

void write(Level level, std::string_view message, std::initializer_list<Field> fields) {
  if (stderr_is_journal()) {
    std::vector<std::string> items;
    items.push_back("MESSAGE=" + std::string(label(level)) + std::string(message));
    items.push_back("PRIORITY=" + std::to_string(static_cast<int>(level)));
    items.push_back("SYSLOG_IDENTIFIER=packet-capture");
    for (const auto& [name, value] : fields) items.push_back(std::string(name) + "=" + value);
    std::vector<struct iovec> iov;
    for (auto& item : items) iov.push_back({item.data(), item.size()});
    if (sd_journal_sendv(iov.data(), static_cast<int>(iov.size())) == 0) return;
    // The journal is unreachable: fall through to stderr.
  }
  std::string line = "packet-capture: ";
  line += label(level);
  line += message;
  line += '\n';
  // One write() per line keeps lines from different threads whole.
  ssize_t rc = ::write(STDERR_FILENO, line.data(), line.size());
  (void)rc;  // nowhere left to report a failing stderr
}

}  // namespace pcap_ring::log
