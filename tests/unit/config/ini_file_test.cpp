#include "config/ini_file.h"

#include <gtest/gtest.h>

#include <fstream>

#include "common/exit_codes.h"
#include "support/test_support.h"

namespace pcap_ring {
namespace {

std::string read_error(const std::string& path) {
  try {
    read_ini_file(path, true);
  } catch (const StartupError& e) {
    return e.what();
  }
  return "";
}

TEST(IniFile, IndentedLineAfterAKeyIsRefusedNotAppended) {
  testing::TempDir dir;
  std::ofstream(dir.file("a.conf")) << "[capture]\nprefix = a\n  snaplen = 100\n";
  std::string msg = read_error(dir.file("a.conf"));
  EXPECT_NE(msg.find("a.conf:3: indented line continues the value of 'prefix'"), std::string::npos) << msg;
  // inih reads even an indented section header after a key as more of the key's value.
  std::ofstream(dir.file("b.conf")) << "[capture]\nprefix = a\n\n\t[hooks]\ntimeout = 5\n";
  msg = read_error(dir.file("b.conf"));
  EXPECT_NE(msg.find("b.conf:4: indented line continues the value of 'prefix'"), std::string::npos) << msg;
}

TEST(IniFile, IndentedKeysRightAfterASectionAreKeys) {
  testing::TempDir dir;
  std::ofstream(dir.file("a.conf")) << "[capture]\n  prefix = a\n\n[hooks]\n\ttimeout = 5\n";
  auto file = read_ini_file(dir.file("a.conf"), true);
  ASSERT_TRUE(file);
  ASSERT_EQ(file->entries.size(), 2u);
  EXPECT_EQ(file->entries[0].key, "prefix");
  EXPECT_EQ(file->entries[0].value, "a");
  EXPECT_EQ(file->entries[1].line, 5);
}

TEST(IniFile, LinesLongerThanInihsBufferCountOnce) {
  testing::TempDir dir;
  // inih reads 199 bytes at a time: the rest of this line arrives as a second piece.
  std::ofstream(dir.file("a.conf")) << "# " << std::string(197, 'x') << "# more\n[capture]\nprefix = a\n";
  auto file = read_ini_file(dir.file("a.conf"), true);
  ASSERT_TRUE(file);
  ASSERT_EQ(file->entries.size(), 1u);
  EXPECT_EQ(file->entries[0].line, 3);
}

TEST(IniFile, LongBlankLineIsABlankLine) {
  testing::TempDir dir;
  std::ofstream(dir.file("a.conf")) << "[capture]\n" << std::string(300, ' ') << "\nprefix = a\n";
  auto file = read_ini_file(dir.file("a.conf"), true);
  ASSERT_TRUE(file);
  ASSERT_EQ(file->entries.size(), 1u);
  EXPECT_EQ(file->entries[0].line, 3);
}

TEST(IniFile, LongValuesAreReadWholeAtTheirLine) {
  testing::TempDir dir;
  std::string filter = "udp and not (";
  while (filter.size() < 4000) filter += "host 10.0.0." + std::to_string(filter.size() % 250) + " or ";
  filter += "host 10.0.0.1)";
  std::ofstream(dir.file("a.conf")) << "[capture]\nfilter = " << filter << "   ; inline comment\nprefix = a\n";
  auto file = read_ini_file(dir.file("a.conf"), true);
  ASSERT_TRUE(file);
  ASSERT_EQ(file->entries.size(), 2u);
  EXPECT_EQ(file->entries[0].value, filter);
  EXPECT_EQ(file->entries[0].line, 2);
  EXPECT_EQ(file->entries[1].key, "prefix");
  EXPECT_EQ(file->entries[1].line, 3);
}

TEST(IniFile, NulByteIsAnErrorNamingItsLine) {
  testing::TempDir dir;
  std::ofstream(dir.file("a.conf"), std::ios::binary) << std::string("[capture]\nfilter = udp\0 and host 1.2.3.4\n", 41);
  std::string msg = read_error(dir.file("a.conf"));
  EXPECT_NE(msg.find("a.conf:2: NUL byte"), std::string::npos) << msg;
}

TEST(IniFile, DuplicateKeyIsAnErrorNamingBothLines) {
  testing::TempDir dir;
  std::ofstream(dir.file("a.conf")) << "[capture]\nprefix = a\n\nprefix = b\n";
  std::string msg = read_error(dir.file("a.conf"));
  EXPECT_NE(msg.find("a.conf:4: duplicate key 'prefix' in [capture] (first set at line 2)"), std::string::npos) << msg;
  // The same key in two sections is two settings.
  std::ofstream(dir.file("b.conf")) << "[hooks]\ntimeout = 5\n[s3]\ntimeout = 6\n";
  EXPECT_TRUE(read_ini_file(dir.file("b.conf"), true));
}

TEST(IniFile, LineBeyondTheLimitIsRefused) {
  testing::TempDir dir;
  std::ofstream(dir.file("a.conf")) << "[capture]\nfilter = " << std::string(70000, 'x') << "\n";
  std::string msg = read_error(dir.file("a.conf"));
  EXPECT_NE(msg.find("a.conf:2: line of 70009 bytes; at most 65536 allowed"), std::string::npos) << msg;
}

}  // namespace
}  // namespace pcap_ring
