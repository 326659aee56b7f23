// The capture daemon (`packet-capture run`): a capture loop (its own thread) fills batches
// from the packet source, a writer loop (its own thread) writes them into the ring, the hook
// pipeline runs on finished files, and the thread calling run() owns signals, reloads, the
// watchdog and the reporter (STATUS=, status file, metrics).
//
// Requests (stop, rotate, reload) arrive as signals or through the request_* calls, which
// any thread may make; both are handled on the thread in run(), in the order they arrive.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "common/timestamp.h"
#include "common/unique_fd.h"
#include "config/capture_config.h"
#include "service/capture_loop.h"

namespace pcap_ring {

struct DaemonOptions {
  CaptureConfig config;
  // Reads the configuration again (SIGHUP); throws StartupError on bad input.
  std::function<CaptureConfig()> reload;
  // Opens the packet source, at start-up and again after a live interface failed.
  SourceOpener open_source;
  const Clock* clock = nullptr;  // the system clock when null
  // Read SIGTERM/SIGINT (stop), SIGUSR1 (rotate) and SIGHUP (reload) through a signalfd.
  bool handle_signals = true;
  bool wedge_capture_for_test = false;  // see CaptureLoopOptions::wedge_for_test
};

class Daemon {
 public:
  explicit Daemon(DaemonOptions options);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Runs until stopped (or the end of --read input). Start-up errors are thrown as
  // StartupError before any ring file is touched; returns the process exit status.
  int run();

  // As SIGTERM: finish the current file, hand it to the hooks, return from run().
  void request_stop();
  // As SIGUSR1: finish the current file now.
  void request_rotate();
  // As SIGHUP: read the configuration again and apply what may change while running.
  void request_reload();

 private:
  struct Parts;
  void start();
  void control_loop();
  void handle_requests();
  void handle_signal(int signal_number);
  void begin_stop(const std::string& reason);
  void reload();
  int finish();
  void wake();

  DaemonOptions options_;
  CaptureConfig config_;  // the running configuration; changed by reloads (this thread only)
  SystemClock system_clock_;
  const Clock& clock_;
  UniqueFd wake_fd_;  // eventfd: a request arrived or the capture loop ended
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> rotate_requested_{false};
  std::atomic<bool> reload_requested_{false};
  std::atomic<bool> capture_ended_{false};
  std::atomic<bool> capture_stop_{false};  // tells the capture loop to finish
  bool stopping_ = false;
  std::unique_ptr<Parts> parts_;
};

}  // namespace pcap_ring
