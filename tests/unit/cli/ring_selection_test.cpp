// The ring selection flags shared by status, list and hooks status, and where they point.
#include "cli/ring_selection.h"

#include <gtest/gtest.h>

#include "support/test_support.h"

namespace pcap_ring {
namespace {

TEST(RingSelection, OptionFormTakesEveryFlag) {
  CLI::App app;
  RingSelection selection;
  add_ring_selection_flags(app, selection);
  app.parse("-o /rings -i eth0 --prefix cap --config-dir /conf", false);
  EXPECT_EQ(selection.output_dir, "/rings");
  EXPECT_EQ(selection.interface_name, "eth0");
  EXPECT_EQ(selection.prefix, "cap");
  EXPECT_EQ(selection.config_dir, "/conf");
}

TEST(RingSelection, PositionalFormWithoutPrefix) {
  CLI::App app;
  RingSelection selection;
  add_ring_selection_flags(app, selection, {.interface = InterfaceArgument::kPositional, .prefix = false});
  app.parse("eth1 --output-dir /rings", false);
  EXPECT_EQ(selection.interface_name, "eth1");
  EXPECT_EQ(selection.output_dir, "/rings");

  CLI::App other;
  RingSelection unused;
  add_ring_selection_flags(other, unused, {.interface = InterfaceArgument::kPositional, .prefix = false});
  EXPECT_THROW(other.parse("--prefix cap", false), CLI::ParseError);
  CLI::App third;
  add_ring_selection_flags(third, unused, {.interface = InterfaceArgument::kPositional, .prefix = false});
  EXPECT_THROW(third.parse("-i eth0", false), CLI::ParseError);
}

TEST(RingSelection, NothingSelectedIsNoLocation) { EXPECT_FALSE(locate_ring({})); }

TEST(RingSelection, OutputDirIsUsedAsGiven) {
  RingSelection selection{.output_dir = "/rings", .interface_name = "eth0", .prefix = "", .config_dir = ""};
  auto location = locate_ring(selection);
  ASSERT_TRUE(location);
  EXPECT_EQ(location->directory, "/rings");
  EXPECT_EQ(location->prefix, "");  // not the configured one: every prefix in that directory
}

TEST(RingSelection, InterfaceTakesDirectoryAndPrefixFromConfiguration) {
  testing::TempDir conf;
  testing::write_text_file(conf.file("packet-capture.conf"), "[capture]\noutput_dir = /srv/rings\nprefix = cap\n");
  RingSelection selection{.output_dir = "", .interface_name = "eth0", .prefix = "", .config_dir = conf.path()};
  auto location = locate_ring(selection);
  ASSERT_TRUE(location);
  EXPECT_EQ(location->directory, "/srv/rings");
  EXPECT_EQ(location->prefix, "cap");

  selection.prefix = "other";
  location = locate_ring(selection);
  ASSERT_TRUE(location);
  EXPECT_EQ(location->prefix, "other");
}

}  // namespace
}  // namespace pcap_ring
