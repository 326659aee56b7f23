// Reading the INI configuration files (inih) into entries with file:line positions, and the
// schema of sections and keys the product knows, so a typo anywhere in a file is reported at
// start-up rather than ignored.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace pcap_ring {

struct IniEntry {
  std::string section;  // "" for keys before the first section header
  std::string key;
  std::string value;  // surrounding double quotes removed
  int line = 0;
};

struct IniFile {
  std::string path;
  std::vector<IniEntry> entries;
  std::string where(const IniEntry& e) const { return path + ":" + std::to_string(e.line) + ": "; }
};

// Reads `path`. A missing file is nullopt unless `required`. Throws ConfigError naming
// file:line for syntax errors, unknown sections and unknown keys (see ini_schema()).
std::optional<IniFile> read_ini_file(const std::string& path, bool required);

struct IniSection {
  std::string name;
  std::vector<std::string> keys;
};
// Every section and key any part of the product reads. Keys before the first section
// belong to [capture].
const std::vector<IniSection>& ini_schema();

}  // namespace pcap_ring
