#include <algorithm>

#include "config/ini_file.h"
#include "config/settings_table.h"

namespace pcap_ring {

// Derived from the settings table: each row with an INI key adds it to its section, sections
// in the order their first row appears.
const std::vector<IniSection>& ini_schema() {
  static const std::vector<IniSection> schema = [] {
    std::vector<IniSection> sections;
    for (const auto& row : settings_table()) {
      if (row.ini_key.empty()) continue;
      auto it = std::find_if(sections.begin(), sections.end(), [&](const IniSection& s) { return s.name == row.section; });
      if (it == sections.end()) it = sections.insert(sections.end(), IniSection{row.section, {}});
      it->keys.push_back(row.ini_key);
    }
    return sections;
  }();
  return schema;
}

}  // namespace pcap_ring
