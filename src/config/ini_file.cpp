#include "config/ini_file.h"

#include <ini.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "common/exit_codes.h"
#include "common/unique_fd.h"

namespace pcap_ring {
namespace {

// Lines longer than this are refused; BPF filters are long, so it is generous.
constexpr std::size_t kMaxLine = 65536;
// Debian's inih reads lines of at most 199 bytes. A longer "key = value" line reaches it as
// "key = <kLongValueMark><n>" and the value is taken back from long_values[n].
constexpr std::size_t kInihLine = 190;
constexpr char kLongValueMark = '\x01';

struct ReadState {
  IniFile* file = nullptr;
  std::vector<std::string> lines;  // the file's physical lines, as given to inih one by one
  std::size_t next = 0;
  int line = 0;  // counted here: Debian's inih does not pass line numbers to the handler
  std::vector<std::string> long_values;
  bool line_is_long = false;  // the line inih is parsing now was shortened (see kLongValueMark)
  // inih's own state: after a key (until the next section header) an indented line is read
  // as more of that key's value and handed over as the same key again.
  bool after_key = false;
  bool continuation = false;  // the current line is such a continuation
  std::string first_error;
};

const IniSection* find_section(const std::string& name) {
  const std::string& n = name.empty() ? std::string("capture") : name;
  for (const auto& s : ini_schema())
    if (s.name == n) return &s;
  return nullptr;
}

std::string allowed_sections() {
  std::string out;
  for (const auto& s : ini_schema()) out += (out.empty() ? "[" : ", [") + s.name + "]";
  return out;
}

void note_error(ReadState* st, const std::string& message) {
  if (st->first_error.empty())
    st->first_error = st->file->path + ":" + std::to_string(st->line) + ": " + message;
}

// The value part of a long "key = value" line as inih would give it: trimmed, without an
// inline "; comment".
std::string long_line_value(const std::string& text) {
  std::string v = text;
  for (std::size_t i = 1; i < v.size(); ++i)
    if (v[i] == ';' && std::isspace(static_cast<unsigned char>(v[i - 1]))) {
      v.resize(i);
      break;
    }
  auto first = v.find_first_not_of(" \t\r");
  auto last = v.find_last_not_of(" \t\r");
  return first == std::string::npos ? "" : v.substr(first, last - first + 1);
}

// inih reports a section only once it holds a key, so section headers are checked here,
// line by line, to catch an empty misspelled section too.
char* read_line(char* buf, int size, void* user) {
  auto* st = static_cast<ReadState*>(user);
  if (st->next >= st->lines.size()) return nullptr;
  std::string text = st->lines[st->next++];
  ++st->line;
  st->line_is_long = false;
  const std::size_t room = static_cast<std::size_t>(size) - 2;
  if (text.size() > std::min(room, kInihLine)) {
    auto eq = text.find_first_of("=:");
    auto first = text.find_first_not_of(" \t");
    if (first == std::string::npos) {
      text.clear();  // a long run of blanks is a blank line
    } else if (text[first] == '#' || text[first] == ';') {
      text = "#";  // a long comment
    } else if (eq == std::string::npos || eq >= kInihLine - 12) {
      note_error(st, "line of " + std::to_string(text.size()) + " bytes without a short 'key =' before its value");
      text.clear();
    } else {
      st->long_values.push_back(long_line_value(text.substr(eq + 1)));
      text = text.substr(0, eq + 1) + " " + kLongValueMark + std::to_string(st->long_values.size() - 1);
      st->line_is_long = true;
    }
  }
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\n';
  buf[text.size() + 1] = '\0';
  const char* p = buf;
  while (std::isspace(static_cast<unsigned char>(*p))) ++p;
  bool comment = *p == ';' || *p == '#';
  st->continuation = st->after_key && p > buf && *p && !comment;
  if (*p == '[' && !st->continuation) {
    st->after_key = false;
    const char* end = std::strchr(p, ']');
    if (end) {
      std::string name(p + 1, static_cast<std::size_t>(end - p - 1));
      if (!find_section(name)) note_error(st, "unknown section [" + name + "]; allowed: " + allowed_sections());
    }
  }
  return buf;
}

// Splits the file into lines; a NUL byte or an over-long line is an error naming its line.
bool split_lines(const std::string& text, ReadState* st) {
  std::size_t start = 0;
  int number = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    ++number;
    std::string where = st->file->path + ":" + std::to_string(number) + ": ";
    if (line.find('\0') != std::string::npos) {
      st->first_error = where + "NUL byte in the line; configuration files are text";
      return false;
    }
    if (line.size() > kMaxLine) {
      st->first_error = where + "line of " + std::to_string(line.size()) + " bytes; at most " +
                        std::to_string(kMaxLine) + " allowed";
      return false;
    }
    st->lines.push_back(std::move(line));
    start = end + 1;
  }
  return true;
}

int on_entry(void* user, const char* section, const char* key, const char* value) {
  auto* st = static_cast<ReadState*>(user);
  st->after_key = true;
  const IniSection* s = find_section(section);
  if (!s) return 1;  // already reported at its header
  if (std::find(s->keys.begin(), s->keys.end(), key) == s->keys.end()) {
    std::string allowed;
    for (const auto& k : s->keys) allowed += (allowed.empty() ? "" : ", ") + k;
    note_error(st, "unknown key '" + std::string(key) + "' in [" + s->name + "]; allowed: " + allowed);
    return 1;
  }
  if (st->continuation) {
    // "  snaplen = 100" under "prefix = a" would silently replace the prefix: refuse it.
    note_error(st, "indented line continues the value of '" + std::string(key) +
                       "' above it; values are one line: remove the indentation");
    return 1;
  }
  std::string v = value;
  // Only a line shortened here carries the mark; a value typed with the same byte is kept as it is.
  if (st->line_is_long && !st->long_values.empty()) v = st->long_values.back();
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  for (const auto& earlier : st->file->entries)
    if (earlier.section == s->name && earlier.key == key) {
      note_error(st, "duplicate key '" + std::string(key) + "' in [" + s->name + "] (first set at line " +
                         std::to_string(earlier.line) + "); set each key once");
      return 1;
    }
  st->file->entries.push_back({s->name, key, v, st->line});
  return 1;
}

}  // namespace

std::optional<IniFile> read_ini_file(const std::string& path, bool required) {
  if (!required && ::access(path.c_str(), F_OK) != 0) return std::nullopt;
  IniFile file;
  file.path = path;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot read configuration file: " + errno_text(errno));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw ConfigError(path + ": cannot read configuration file: " + errno_text(errno));
  ReadState st;
  st.file = &file;
  if (!split_lines(text, &st)) throw ConfigError(st.first_error);
  int rc = ini_parse_stream(read_line, &st, on_entry, &st);
  if (!st.first_error.empty()) throw ConfigError(st.first_error);
  if (rc > 0)
    throw ConfigError(path + ":" + std::to_string(rc) + ": syntax error; expected [section] or key = value");
  return file;
}

}  // namespace pcap_ring
