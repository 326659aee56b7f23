// Service notifications to systemd (sd_notify): READY=1 once capture runs and the first file
// is open, STATUS= lines, WATCHDOG=1, RELOADING=1 and STOPPING=1. Does nothing outside systemd.
#pragma once

#include <cstdint>
#include <string>

namespace pcap_ring {

class Notifier {
 public:
  void ready(const std::string& status);
  void status(const std::string& line);
  void watchdog();
  void reloading();
  void stopping();
  // The interval systemd expects pings in (WatchdogSec=), 0 when no watchdog is set.
  std::uint64_t watchdog_usec() const;

 private:
  void send(const std::string& message);
  std::string last_status_;
};

}  // namespace pcap_ring
