// One-line log messages on stderr. Under systemd (JOURNAL_STREAM set) each line carries a
// "<N>" syslog priority prefix, which journald turns into the entry's priority.
#pragma once

#include <string_view>

namespace pcap_ring::log {

enum class Level { kError = 3, kWarning = 4, kNotice = 5, kInfo = 6, kDebug = 7 };

void write(Level level, std::string_view message);
inline void error(std::string_view m) { write(Level::kError, m); }
inline void warning(std::string_view m) { write(Level::kWarning, m); }
inline void notice(std::string_view m) { write(Level::kNotice, m); }
inline void info(std::string_view m) { write(Level::kInfo, m); }

// Messages below `level` are not written (default: info).
void set_threshold(Level level);

}  // namespace pcap_ring::log
