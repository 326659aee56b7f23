#include "config/ini_file.h"

#include <ini.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>

#include "common/exit_codes.h"
#include "common/unique_fd.h"

namespace pcap_ring {
namespace {

struct ReadState {
  IniFile* file;
  FILE* stream = nullptr;
  int line = 0;  // counted here: Debian's inih does not pass line numbers to the handler
  bool at_line_start = true;
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

// inih reports a section only once it holds a key, so section headers are checked here,
// line by line, to catch an empty misspelled section too.
char* read_line(char* buf, int size, void* user) {
  auto* st = static_cast<ReadState*>(user);
  std::memset(buf, 0, static_cast<std::size_t>(size));  // so the newline test sees this read only
  char* r = std::fgets(buf, size, st->stream);
  if (!r) return r;
  if (st->at_line_start) ++st->line;
  // A line longer than inih's buffer arrives in pieces; only the piece with the newline ends it.
  st->at_line_start = std::memchr(buf, '\n', static_cast<std::size_t>(size)) != nullptr;
  const char* p = r;
  while (std::isspace(static_cast<unsigned char>(*p))) ++p;
  bool comment = *p == ';' || *p == '#';
  st->continuation = st->after_key && p > r && *p && !comment;
  if (*p == '[' && !st->continuation) {
    st->after_key = false;
    const char* end = std::strchr(p, ']');
    if (end) {
      std::string name(p + 1, static_cast<std::size_t>(end - p - 1));
      if (!find_section(name)) note_error(st, "unknown section [" + name + "]; allowed: " + allowed_sections());
    }
  }
  return r;
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
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  st->file->entries.push_back({s->name, key, v, st->line});
  return 1;
}

}  // namespace

std::optional<IniFile> read_ini_file(const std::string& path, bool required) {
  if (!required && ::access(path.c_str(), F_OK) != 0) return std::nullopt;
  IniFile file;
  file.path = path;
  ReadState st{&file, std::fopen(path.c_str(), "re"), 0, true, false, false, {}};
  if (!st.stream) throw ConfigError(path + ": cannot read configuration file: " + errno_text(errno));
  int rc = ini_parse_stream(read_line, &st, on_entry, &st);
  std::fclose(st.stream);
  if (!st.first_error.empty()) throw ConfigError(st.first_error);
  if (rc > 0)
    throw ConfigError(path + ":" + std::to_string(rc) + ": syntax error; expected [section] or key = value");
  return file;
}

}  // namespace pcap_ring
