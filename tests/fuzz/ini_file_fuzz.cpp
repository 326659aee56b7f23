// Fuzzes the INI reader: any bytes either read into entries the schema knows, each placed on
// the line that holds its key, or fail with a StartupError (ConfigError). Any other exception or a
// sanitizer report ends the run.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/exit_codes.h"
#include "config/ini_file.h"
#include "fuzz_support.h"

namespace {

bool in_schema(const pcap_ring::IniEntry& entry) {
  for (const auto& section : pcap_ring::ini_schema())
    if (section.name == entry.section)
      return std::find(section.keys.begin(), section.keys.end(), entry.key) != section.keys.end();
  return false;
}

// Line `number` (1-based) of the input.
std::string_view line_of(std::string_view text, int number) {
  std::size_t begin = 0;
  for (int i = 1; i < number && begin != std::string_view::npos; ++i) {
    begin = text.find('\n', begin);
    if (begin != std::string_view::npos) ++begin;
  }
  if (begin == std::string_view::npos || begin > text.size()) return {};
  return text.substr(begin, text.find('\n', begin) - begin);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& path = pcap_ring::fuzz::InputFile::instance().hold(data, size);
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    auto file = pcap_ring::read_ini_file(path, /*required=*/true);
    FUZZ_CHECK(file.has_value());
    FUZZ_CHECK(file->path == path);
    int previous_line = 0;
    for (const auto& entry : file->entries) {
      FUZZ_CHECK(in_schema(entry));
      // Reported where it is written: errors and `config` output point people at that line.
      FUZZ_CHECK(line_of(text, entry.line).find(entry.key) != std::string_view::npos);
      FUZZ_CHECK(entry.line > previous_line);  // one key per line, in file order
      previous_line = entry.line;
    }
  } catch (const pcap_ring::StartupError& e) {
    FUZZ_CHECK(e.code() == pcap_ring::kExitConfig);
    FUZZ_CHECK(std::string(e.what()).rfind(path, 0) == 0);  // names the file first
  }
  return 0;
}
