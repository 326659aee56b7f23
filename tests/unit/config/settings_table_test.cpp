#include "config/settings_table.h"

#include <gtest/gtest.h>

#include <set>

#include "config/ini_file.h"

namespace pcap_ring {
namespace {

template <typename Settings>
void expect_unique_names_and_flags() {
  std::set<std::string> names, flags;
  for (const SettingSpec* row : settings_for<Settings>()) {
    EXPECT_TRUE(names.insert(row->name).second) << "setting name twice: " << row->name;
    if (!row->flag.empty()) EXPECT_TRUE(flags.insert(row->long_flag()).second) << "flag twice: " << row->flag;
  }
  EXPECT_FALSE(names.empty());
}

TEST(SettingsTable, NamesAndFlagsAreUniquePerCommand) {
  expect_unique_names_and_flags<CaptureConfig>();
  expect_unique_names_and_flags<CloudSharkSettings>();
  expect_unique_names_and_flags<S3Settings>();
  expect_unique_names_and_flags<SuricataSettings>();
}

TEST(SettingsTable, EnvironmentNamesAndIniKeysAreUnique) {
  std::set<std::string> env, ini;
  for (const auto& row : settings_table()) {
    if (!row.env.empty()) EXPECT_TRUE(env.insert(row.env).second) << "variable twice: " << row.env;
    if (!row.ini_key.empty())
      EXPECT_TRUE(ini.insert(row.section + "." + row.ini_key).second) << "key twice: " << row.section << "." << row.ini_key;
  }
}

TEST(SettingsTable, EveryIniKeyInTheSchemaComesFromARow) {
  std::size_t keys = 0;
  for (const auto& section : ini_schema()) {
    for (const auto& key : section.keys) {
      ++keys;
      bool found = false;
      for (const auto& row : settings_table()) found |= row.section == section.name && row.ini_key == key;
      EXPECT_TRUE(found) << section.name << "." << key;
    }
  }
  std::size_t rows_with_keys = 0;
  for (const auto& row : settings_table()) rows_with_keys += !row.ini_key.empty();
  EXPECT_EQ(keys, rows_with_keys);
  std::vector<std::string> sections;
  for (const auto& section : ini_schema()) sections.push_back(section.name);
  EXPECT_EQ(sections, (std::vector<std::string>{"capture", "hooks", "cloudshark", "s3", "suricata", "agent", "redis", "kafka", "sqs"}));
}

TEST(SettingsTable, DefaultValuesAreTheStructDefaults) {
  const CaptureConfig defaults;
  for (const SettingSpec* row : settings_for<CaptureConfig>()) {
    ASSERT_TRUE(row->field.copy && row->field.equal) << row->name;
    if (row->default_value.empty()) continue;
    CaptureConfig parsed;
    EXPECT_FALSE(row->apply(parsed, row->default_value, Source::kIniFile)) << row->name;
    EXPECT_TRUE(row->field.equal(parsed, defaults)) << row->name;
  }
}

TEST(SettingsTable, OnlyCaptureSettingsReload) {
  for (const auto& row : settings_table())
    if (row.reloadable) EXPECT_TRUE(row.configures<CaptureConfig>()) << row.name;
}

}  // namespace
}  // namespace pcap_ring
