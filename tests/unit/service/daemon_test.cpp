#include "service/daemon.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "common/exit_codes.h"
#include "format/capture_scanner.h"
#include "service/service_report.h"
#include "support/test_support.h"

namespace pcap_ring {
namespace {

constexpr std::uint32_t kPacketBytes = 1000;

// What the test and the fake sources it opened share: the test says how many packets exist
// so far; the sources deliver them and report the filter they were given.
struct FakeTraffic {
  std::atomic<std::uint64_t> available{0};
  std::atomic<std::uint64_t> delivered{0};
  std::mutex mutex;
  std::string filter;
  int opened = 0;
  std::atomic<bool> fail_next_dispatch{false};  // as when the interface goes away

  std::string current_filter() {
    std::lock_guard lock(mutex);
    return filter;
  }
};

class FakeSource final : public PacketSource {
 public:
  explicit FakeSource(FakeTraffic& traffic) : traffic_(traffic) {}
  int linktype() const override { return 1; }
  std::uint32_t snaplen() const override { return 65535; }
  DispatchStatus dispatch(PacketSink& sink, int wait_ms) override {
    if (traffic_.fail_next_dispatch.exchange(false)) return DispatchStatus::kError;
    int delivered = 0;
    while (traffic_.delivered < traffic_.available && delivered < 1000) {
      ts_ += 1000;
      sink.on_packet(ts_, kPacketBytes, kPacketBytes, payload_.data());
      ++traffic_.delivered;
      ++delivered;
      ++received_;
    }
    if (delivered == 0) std::this_thread::sleep_for(std::chrono::milliseconds(std::min(wait_ms, 5)));
    return DispatchStatus::kOk;
  }
  CaptureCounters counters() override { return {received_, 0}; }
  std::string last_error() const override { return "interface gone"; }
  bool set_filter(const std::string& filter, std::string*) override {
    std::lock_guard lock(traffic_.mutex);
    traffic_.filter = filter;
    return true;
  }

 private:
  FakeTraffic& traffic_;
  std::uint64_t received_ = 0;
  NanoTime ts_ = 1'700'000'000LL * kNanosPerSecond;
  std::vector<std::uint8_t> payload_ = std::vector<std::uint8_t>(kPacketBytes, 0x5a);
};

bool wait_until(const std::function<bool()>& condition) {
  for (int i = 0; i < 1000; ++i) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override { std::filesystem::create_directories(dir.file("hooks.d")); }
  void TearDown() override {
    if (thread.joinable()) {
      daemon->request_stop();
      thread.join();
    }
  }

  CaptureConfig config() {
    CaptureConfig c;
    c.interface_name = "fake0";
    c.output_dir = dir.file("ring");
    c.hooks_dir = dir.file("hooks.d");
    c.file_size_mb = 1;
    c.file_limit = 1000;
    c.direct_io = false;
    c.hook_timeout_seconds = 10;
    c.hook_drain_seconds = 10;
    return c;
  }

  void start(const CaptureConfig& c) {
    DaemonOptions o;
    o.config = c;
    o.reload = [this] { return reloaded; };
    o.open_source = [this](const std::string& filter) {
      std::lock_guard lock(traffic.mutex);
      traffic.filter = filter;
      ++traffic.opened;
      return std::make_unique<FakeSource>(traffic);
    };
    o.handle_signals = false;
    daemon = std::make_unique<Daemon>(std::move(o));
    thread = std::thread([this] { exit_status = daemon->run(); });
  }

  // Makes `count` more packets available and waits until the capture loop took them.
  void send(std::uint64_t count) {
    traffic.available += count;
    ASSERT_TRUE(wait_until([&] { return traffic.delivered == traffic.available; }));
  }

  void stop() {
    daemon->request_stop();
    thread.join();
  }

  // The ring's files, sorted by name, and whether a .part is left.
  std::vector<std::string> ring_files(const std::string& suffix = ".pcap") {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir.file("ring"))) {
      std::string name = entry.path().filename().string();
      if (name.starts_with("pcap-fake0-") && name.ends_with(suffix)) names.push_back(name);
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  std::uint64_t packets_in(const std::string& name) {
    FileScan scan;
    std::string error;
    EXPECT_TRUE(scan_capture_file(dir.file("ring/" + name), &scan, &error)) << error;
    return scan.packets;
  }

  testing::TempDir dir;
  FakeTraffic traffic;
  CaptureConfig reloaded;
  std::unique_ptr<Daemon> daemon;
  std::thread thread;
  int exit_status = -1;
};

TEST_F(DaemonTest, FilesRotateBySize) {
  start(config());
  send(3500);  // about 3.6 MB in files of at most 1 MB
  stop();
  EXPECT_EQ(exit_status, kExitOk);
  auto files = ring_files();
  ASSERT_EQ(files.size(), 4u);
  EXPECT_TRUE(ring_files(".part").empty());
  std::uint64_t packets = 0;
  for (const auto& name : files) {
    EXPECT_LE(std::filesystem::file_size(dir.file("ring/" + name)), 1'000'000u) << name;
    packets += packets_in(name);
  }
  EXPECT_EQ(packets, 3500u);
}

TEST_F(DaemonTest, ReloadAppliesTheNewFileSizeAndFilter) {
  CaptureConfig c = config();
  c.file_size_mb = 100;
  start(c);
  send(1500);
  reloaded = c;
  reloaded.file_size_mb = 1;
  reloaded.filter = "udp";
  daemon->request_reload();
  // The filter reaches the source on the capture thread together with the new file size.
  ASSERT_TRUE(wait_until([&] { return traffic.current_filter() == "udp"; }));
  send(2000);
  stop();
  EXPECT_EQ(exit_status, kExitOk);
  auto files = ring_files();
  // 1.5 MB in the first file (the old limit), then files of at most 1 MB.
  ASSERT_GE(files.size(), 3u);
  EXPECT_GT(std::filesystem::file_size(dir.file("ring/" + files[0])), 1'000'000u);
  for (std::size_t i = 1; i < files.size(); ++i)
    EXPECT_LE(std::filesystem::file_size(dir.file("ring/" + files[i])), 1'000'000u) << files[i];
}

TEST_F(DaemonTest, ReloadOfAnotherInterfaceIsRefused) {
  start(config());
  reloaded = config();
  reloaded.interface_name = "other0";
  reloaded.filter = "udp";
  daemon->request_reload();
  send(10);
  stop();
  EXPECT_EQ(exit_status, kExitOk);
  EXPECT_EQ(traffic.current_filter(), "");
}

TEST_F(DaemonTest, RotateRequestStartsANewFile) {
  start(config());
  send(10);
  daemon->request_rotate();
  ASSERT_TRUE(wait_until([&] { return ring_files().size() == 1; }));
  send(5);
  stop();
  auto files = ring_files();
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(packets_in(files[0]), 10u);
  EXPECT_EQ(packets_in(files[1]), 5u);
}

TEST_F(DaemonTest, LostInterfaceIsReopenedAndTheRingKept) {
  start(config());
  send(10);
  traffic.fail_next_dispatch = true;
  ASSERT_TRUE(wait_until([&] {
    std::lock_guard lock(traffic.mutex);
    return traffic.opened == 2;
  }));
  send(5);
  stop();
  EXPECT_EQ(exit_status, kExitOk);
  auto files = ring_files();
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(packets_in(files[0]), 15u);
  std::ifstream status(dir.file("ring/" + state_file_name(RingId{"pcap", "fake0"}, StateFile::kStatus)));
  std::string text((std::istreambuf_iterator<char>(status)), std::istreambuf_iterator<char>());
  auto snapshot = parse_status_json(text);
  ASSERT_TRUE(snapshot);
  EXPECT_EQ(snapshot->interface_restarts, 1u);
}

TEST_F(DaemonTest, StopFinishesTheLastFileAndHandsItToTheHooks) {
  const std::string hook = dir.file("hooks.d/10-record");
  std::ofstream(hook) << "#!/bin/sh\necho \"$1 $PCAP_PACKETS\" >> " << dir.file("hook.log") << "\n";
  chmod(hook.c_str(), 0755);
  start(config());
  send(10);
  stop();
  EXPECT_EQ(exit_status, kExitOk);
  auto files = ring_files();
  ASSERT_EQ(files.size(), 1u);
  EXPECT_TRUE(ring_files(".part").empty());
  EXPECT_EQ(packets_in(files[0]), 10u);

  std::ifstream log(dir.file("hook.log"));
  std::string line;
  ASSERT_TRUE(std::getline(log, line)) << "the hook did not run on the last file";
  EXPECT_EQ(line, dir.file("ring/" + files[0]) + " 10");

  std::ifstream status(dir.file("ring/" + state_file_name(RingId{"pcap", "fake0"}, StateFile::kStatus)));
  std::string text((std::istreambuf_iterator<char>(status)), std::istreambuf_iterator<char>());
  auto snapshot = parse_status_json(text);
  ASSERT_TRUE(snapshot);
  EXPECT_EQ(snapshot->state, "stopped");
  EXPECT_EQ(snapshot->packets, 10u);
  EXPECT_EQ(snapshot->ring.files_finished, 1u);
}

}  // namespace
}  // namespace pcap_ring
