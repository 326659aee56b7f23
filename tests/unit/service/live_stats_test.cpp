// The status file as `packet-capture status` reads it: what the daemon writes comes back
// unchanged, and a counter that is not an unsigned 64-bit integer is refused by name.
#include "service/live_stats.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "service/service_report.h"
#include "support/test_support.h"

namespace pcap_ring {
namespace {

LiveSnapshot every_field_set() {
  LiveSnapshot s;
  s.interface_name = "eth0";
  s.output_dir = "/var/lib/packet-capture/eth0";
  s.state = "capturing";
  s.current_file = "pcap-eth0-000042.pcap.part";
  s.pid = 1234;
  s.started_unix = 1'700'000'000;
  s.packets = 18446744073709551615ULL;  // the largest counter still fits
  s.kernel_drops = 7;
  s.interface_restarts = 2;
  s.ring.packets_written = 990;
  s.ring.bytes_written = 123456;
  s.ring.packets_lost = 3;
  s.ring.files_finished = 42;
  s.ring.files_deleted = 30;
  s.ring.files_evicted = 1;
  s.ring.write_errors = 4;
  s.hook_backlog = 5;
  s.hooks_running = 1;
  s.hooks.stages_succeeded = 80;
  s.hooks.stages_failed = 6;
  s.hooks.stages_retried = 9;
  s.hooks.stages_timed_out = 2;
  return s;
}

// The status JSON of every_field_set() with `field` set to the JSON text `value`.
std::string with_field(const std::string& field, const std::string& value) {
  nlohmann::json j = nlohmann::json::parse(status_json(every_field_set()));
  j[field] = nlohmann::json::parse(value);
  return j.dump();
}

TEST(LiveSnapshotJson, EveryFieldRoundTrips) {
  const LiveSnapshot s = every_field_set();
  std::string why;
  auto back = parse_status_json(status_json(s), &why);
  ASSERT_TRUE(back) << why;
  EXPECT_EQ(back->interface_name, s.interface_name);
  EXPECT_EQ(back->output_dir, s.output_dir);
  EXPECT_EQ(back->state, s.state);
  EXPECT_EQ(back->current_file, s.current_file);
  EXPECT_EQ(back->pid, s.pid);
  EXPECT_EQ(back->started_unix, s.started_unix);
  EXPECT_EQ(back->packets, s.packets);
  EXPECT_EQ(back->kernel_drops, s.kernel_drops);
  EXPECT_EQ(back->interface_restarts, s.interface_restarts);
  EXPECT_EQ(back->ring.packets_written, s.ring.packets_written);
  EXPECT_EQ(back->ring.bytes_written, s.ring.bytes_written);
  EXPECT_EQ(back->ring.packets_lost, s.ring.packets_lost);
  EXPECT_EQ(back->ring.files_finished, s.ring.files_finished);
  EXPECT_EQ(back->ring.files_deleted, s.ring.files_deleted);
  EXPECT_EQ(back->ring.files_evicted, s.ring.files_evicted);
  EXPECT_EQ(back->ring.write_errors, s.ring.write_errors);
  EXPECT_EQ(back->hook_backlog, s.hook_backlog);
  EXPECT_EQ(back->hooks_running, s.hooks_running);
  EXPECT_EQ(back->hooks.stages_succeeded, s.hooks.stages_succeeded);
  EXPECT_EQ(back->hooks.stages_failed, s.hooks.stages_failed);
  EXPECT_EQ(back->hooks.stages_retried, s.hooks.stages_retried);
  EXPECT_EQ(back->hooks.stages_timed_out, s.hooks.stages_timed_out);
}

struct BadCounter {
  const char* field;
  const char* value;
};

class LiveSnapshotBadCounter : public ::testing::TestWithParam<BadCounter> {};

TEST_P(LiveSnapshotBadCounter, IsRefusedNamingTheField) {
  const BadCounter& bad = GetParam();
  std::string why;
  EXPECT_FALSE(parse_status_json(with_field(bad.field, bad.value), &why)) << bad.field << " = " << bad.value;
  EXPECT_NE(why.find(std::string("\"") + bad.field + "\""), std::string::npos) << why;
  EXPECT_NE(why.find("must be an integer"), std::string::npos) << why;
  EXPECT_EQ(why.find("[json.exception"), std::string::npos) << why;
}

INSTANTIATE_TEST_SUITE_P(
    NegativeFractionalHugeOrText, LiveSnapshotBadCounter,
    ::testing::Values(BadCounter{"pid", "-1"}, BadCounter{"packets", "-9223372036854775808"},
                      BadCounter{"kernel_drops", "1.5"}, BadCounter{"bytes_written", "1e30"},
                      BadCounter{"files_finished", "18446744073709551616"},  // 2^64: a float to nlohmann
                      BadCounter{"hook_backlog", "\"5\""}, BadCounter{"hook_stages_ok", "true"},
                      BadCounter{"started_unix", "null"}, BadCounter{"hook_stages_timed_out", "[1]"}));

TEST(LiveSnapshotJson, MissingFieldOrNotAnObjectIsRefusedWithAReason) {
  nlohmann::json j = nlohmann::json::parse(status_json(every_field_set()));
  j.erase("packets");
  std::string why;
  EXPECT_FALSE(parse_status_json(j.dump(), &why));
  EXPECT_NE(why.find("packets"), std::string::npos) << why;
  EXPECT_FALSE(parse_status_json("[1, 2]", &why));
  EXPECT_EQ(why, "not a JSON object");
  EXPECT_FALSE(parse_status_json("{\"pid\": ", &why));
  EXPECT_EQ(why, "not JSON");
  EXPECT_FALSE(parse_status_json(with_field("state", "7"), &why));
}

TEST(LiveSnapshotJson, StatusFileIsReadOnlyAsARegularFile) {
  testing::TempDir dir;
  const std::string path = dir.file("pcap-eth0.status");
  testing::write_text_file(path, status_json(every_field_set()));
  std::string why;
  auto s = read_status_file(path, &why);
  ASSERT_TRUE(s) << why;
  EXPECT_EQ(s->hooks.stages_retried, 9u);

  const std::string link = dir.file("link.status");
  ASSERT_EQ(::symlink(path.c_str(), link.c_str()), 0);
  EXPECT_FALSE(read_status_file(link, &why));
  EXPECT_EQ(why, "is a symlink");
  EXPECT_FALSE(read_status_file(dir.file("absent.status"), &why));
  EXPECT_FALSE(why.empty());
}

}  // namespace
}  // namespace pcap_ring
