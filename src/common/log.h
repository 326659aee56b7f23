// One-line log messages. Under systemd, when stderr is connected to the journal, messages go
// to journald with their priority and structured fields (PCAP_FILE=, HOOK=), so operators can
// filter with `journalctl HOOK=50-upload`; otherwise they are plain lines on stderr.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace pcap_ring::log {

enum class Level { kError = 3, kWarning = 4, kNotice = 5, kInfo = 6 };  // syslog priorities

using Field = std::pair<const char*, std::string>;  // journal field name (upper case), value

void write(Level level, std::string_view message, std::initializer_list<Field> fields = {});
inline void error(std::string_view m, std::initializer_list<Field> f = {}) { write(Level::kError, m, f); }
inline void warning(std::string_view m, std::initializer_list<Field> f = {}) { write(Level::kWarning, m, f); }
inline void notice(std::string_view m, std::initializer_list<Field> f = {}) { write(Level::kNotice, m, f); }
inline void info(std::string_view m, std::initializer_list<Field> f = {}) { write(Level::kInfo, m, f); }

}  // namespace pcap_ring::log
