#include "config/reload_plan.h"

#include <gtest/gtest.h>

#include "config/settings_table.h"

namespace pcap_ring {
namespace {

TEST(ReloadPlan, AppliesExactlyTheReloadableRowsAndReportsTheOthers) {
  CaptureConfig running;
  running.interface_name = "eth0";
  CaptureConfig reread = running;
  reread.file_size_mb = 5;
  reread.min_free_mb = 7;  // a retention limit: reloads
  reread.filter = "udp";
  reread.post_rotate = "/bin/true";
  reread.snaplen = 100;
  reread.hook_jobs = 4;
  reread.direct_io = !running.direct_io;

  ReloadPlan plan = plan_reload(running, reread);
  EXPECT_EQ(plan.config.file_size_mb, 5u);
  EXPECT_EQ(plan.config.min_free_mb, 7u);
  EXPECT_EQ(plan.config.filter, "udp");
  EXPECT_EQ(plan.config.post_rotate, "/bin/true");
  EXPECT_EQ(plan.config.snaplen, running.snaplen);
  EXPECT_EQ(plan.config.hook_jobs, running.hook_jobs);
  EXPECT_EQ(plan.config.direct_io, running.direct_io);
  EXPECT_EQ(plan.needs_restart, (std::vector<std::string>{"snaplen", "hook_jobs", "direct_io"}));
}

TEST(ReloadPlan, EveryRowFollowsItsReloadableMark) {
  // Two configurations differing in every capture setting: the plan takes each row from the
  // re-read copy exactly when the row is reloadable.
  CaptureConfig a;
  CaptureConfig b;
  b.interface_name = "x";
  b.read_file = "r";
  b.output_dir = "/o";
  b.prefix = "p";
  b.file_size_mb = 2;
  b.file_limit = 3;
  b.rotate_seconds = 4;
  b.max_bytes = 5;
  b.min_free_mb = 6;
  b.filter = "f";
  b.snaplen = 7;
  b.buffer_size_mb = 8;
  b.promisc = false;
  b.format = FileFormat::kPcapng;
  b.tstamp = TimestampPrecision::kMicro;
  b.config_dir = "/c";
  b.hooks_dir = "/h";
  b.post_rotate = "z";
  b.hook_timeout_seconds = 9;
  b.hook_jobs = 10;
  b.hook_backlog_bytes = 11;
  b.hook_drain_seconds = 12;
  b.hook_pass_environment = {"X"};
  b.config_file = "/c.conf";
  b.metrics_file = "/m";
  b.direct_io = !a.direct_io;
  b.flow_index = !a.flow_index;
  ReloadPlan plan = plan_reload(a, b);
  std::vector<std::string> expected_restart;
  for (const SettingSpec* row : settings_for<CaptureConfig>()) {
    ASSERT_FALSE(row->field.equal(a, b)) << row->name << " not changed by this test";
    EXPECT_TRUE(row->field.equal(plan.config, row->reloadable ? b : a)) << row->name;
    if (!row->reloadable) expected_restart.push_back(row->name);
  }
  EXPECT_EQ(plan.needs_restart, expected_restart);
}

}  // namespace
}  // namespace pcap_ring
