#include "service/service_report.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstdlib>
#include <cstring>

#include "service/notifier.h"
#include "support/test_support.h"

namespace pcap_ring {
namespace {

LiveSnapshot sample() {
  LiveSnapshot s;
  s.interface_name = "eth0";
  s.output_dir = "/var/lib/packet-capture/eth0";
  s.state = "capturing";
  s.current_file = "pcap-eth0-000042.pcap.part";
  s.pid = 1234;
  s.packets = 1000;
  s.kernel_drops = 7;
  s.ring.files_finished = 42;
  s.hook_backlog = 3;
  s.hooks.stages_failed = 1;
  s.hooks.stages_succeeded = 80;
  return s;
}

TEST(ServiceReport, StatusLineNamesPacketsDropsFileAndBacklog) {
  EXPECT_EQ(status_line(sample()),
            "capturing on eth0: 1000 packets, 7 dropped; file pcap-eth0-000042.pcap.part; 3 files waiting for "
            "hooks, 1 hook failures");
}

TEST(ServiceReport, StatusJsonRoundTrips) {
  auto parsed = parse_status_json(status_json(sample()));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->current_file, "pcap-eth0-000042.pcap.part");
  EXPECT_EQ(parsed->kernel_drops, 7u);
  EXPECT_EQ(parsed->hook_backlog, 3u);
  EXPECT_FALSE(parse_status_json("{\"interface\":1}"));
  EXPECT_FALSE(parse_status_json("garbage"));
}

TEST(ServiceReport, MetricsAreInPrometheusTextFormat) {
  std::string m = metrics_text(sample());
  EXPECT_NE(m.find("# TYPE packet_capture_packets_total counter\npacket_capture_packets_total{interface=\"eth0\"} 1000\n"),
            std::string::npos) << m;
  EXPECT_NE(m.find("packet_capture_kernel_drops_total{interface=\"eth0\"} 7\n"), std::string::npos);
  EXPECT_NE(m.find("packet_capture_rotations_total{interface=\"eth0\"} 42\n"), std::string::npos);
  EXPECT_NE(m.find("packet_capture_hook_stages_total{interface=\"eth0\",result=\"failed\"} 1\n"), std::string::npos);
  EXPECT_NE(m.find("packet_capture_hook_backlog_files{interface=\"eth0\"} 3\n"), std::string::npos);
}

// The notifications as systemd receives them, on a NOTIFY_SOCKET of our own.
TEST(Notifier, SendsReadyStatusWatchdogReloadingStopping) {
  testing::TempDir dir;
  std::string path = dir.file("notify.sock");
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  setenv("NOTIFY_SOCKET", path.c_str(), 1);
  auto receive = [&] {
    char buf[4096];
    struct timeval tv {2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  };
  Notifier n;
  n.ready("capturing on eth0");
  EXPECT_EQ(receive(), "READY=1\nSTATUS=capturing on eth0");
  n.status("capturing on eth0");  // unchanged: not sent again
  n.status("interface eth0 unavailable");
  EXPECT_EQ(receive(), "STATUS=interface eth0 unavailable");
  n.watchdog();
  EXPECT_EQ(receive(), "WATCHDOG=1");
  n.reloading();
  EXPECT_EQ(receive().rfind("RELOADING=1\nMONOTONIC_USEC=", 0), 0u);
  n.stopping();
  EXPECT_EQ(receive(), "STOPPING=1");
  unsetenv("NOTIFY_SOCKET");
  close(fd);
}

}  // namespace
}  // namespace pcap_ring
