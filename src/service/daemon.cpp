#include "service/daemon.h"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <chrono>
#include <optional>
#include <thread>

#include "common/exit_codes.h"
#include "common/log.h"
#include "common/thread_name.h"
#include "hooks/hook_pipeline.h"
#include "hooks/hook_queue.h"
#include "ring/record_batch.h"
#include "ring/ring.h"
#include "service/heartbeat.h"
#include "service/live_stats.h"
#include "service/notifier.h"
#include "service/reload.h"
#include "hooks/hook_base_environment.h"
#include "service/reporter.h"
#include "service/service_report.h"
#include "service/signal_reader.h"
#include "service/writer_loop.h"

namespace pcap_ring {
namespace {

// Batches of 1 MiB (or two maximal records) and a pool of 16: writes are large and the
// records waiting for the disk never take more than ~16 MiB.
constexpr std::size_t kBatchCount = 16;
std::size_t batch_capacity(const StreamParams& params) {
  std::size_t two_records = 2 * (record_size(params, params.snaplen) + trailer_size(params));
  return std::max<std::size_t>(1 << 20, two_records) + kDirectIoAlign;  // + room for the file's tail
}

constexpr NanoTime kReportInterval = 2 * kNanosPerSecond;  // STATUS=, status file, metrics

StreamParams stream_params(const CaptureConfig& config, const PacketSource& source) {
  const bool live_capture = config.read_file.empty();
  StreamParams stream;
  stream.format = config.format;
  stream.precision = config.tstamp;
  stream.linktype = source.linktype();
  stream.snaplen = live_capture ? std::min(config.snaplen, std::max<std::uint32_t>(source.snaplen(), 1))
                                : std::max<std::uint32_t>(source.snaplen(), 1);
  stream.interface_name = config.interface_name;
  stream.filter = config.filter;
  return stream;
}

RingOptions ring_options(const CaptureConfig& config) {
  RingOptions options;
  options.directory = config.output_dir;
  options.id = {config.prefix, config.interface_name};
  options.format = config.format;
  options.limits = config.retention();
  options.file_size_bytes = config.file_size_bytes();
  options.direct_io = config.direct_io;
  options.flow_index = config.flow_index;
  options.room_ahead = config.read_file.empty();
  return options;
}

StageContext stage_context(const CaptureConfig& config) {
  StageContext ctx;
  ctx.hooks_dir = config.hooks_dir;
  ctx.post_rotate = config.post_rotate;
  ctx.interface_name = config.interface_name;
  ctx.timeout = std::chrono::seconds(config.hook_timeout_seconds);
  ctx.base_env = hook_base_environment(current_environment(), config.hook_pass_environment, config.config_dir);
  return ctx;
}

HookPipelineOptions hook_options(const CaptureConfig& config, const RingId& ring) {
  HookPipelineOptions options;
  options.state_path = config.output_dir + "/" + state_file_name(ring, StateFile::kHooks);
  options.ring_dir = config.output_dir;
  options.stages = stage_context(config);
  options.jobs = static_cast<unsigned>(config.hook_jobs);
  return options;
}

CaptureLimits capture_limits(const CaptureConfig& config) {
  CaptureLimits limits;
  limits.filter = config.filter;
  limits.file_size_bytes = config.file_size_bytes();
  limits.rotate_interval = static_cast<NanoTime>(config.rotate_seconds) * kNanosPerSecond;
  return limits;
}

}  // namespace

struct Daemon::Parts {
  std::optional<SignalReader> signals;
  // The hooks outlive the ring: the ring's publisher and keeper threads, which finish their
  // queued work when the ring goes away, announce files to the hooks and ask them before deleting.
  std::unique_ptr<HookPipeline> hooks;
  std::unique_ptr<Ring> ring;
  std::unique_ptr<BatchQueue> queue;
  LiveStats live;
  Heartbeats heartbeats;
  Notifier notifier;
  std::unique_ptr<Reporter> reporter;
  std::unique_ptr<WriterLoop> writer;
  std::unique_ptr<CaptureLoop> capture;
  // Last, so that they are joined before the parts they use go away.
  std::jthread writer_thread;
  std::jthread capture_thread;
};

Daemon::Daemon(DaemonOptions options)
    : options_(std::move(options)),
      config_(options_.config),
      clock_(options_.clock ? *options_.clock : system_clock_),
      wake_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!wake_fd_.valid()) throw StartupError(kExitSoftware, "eventfd: " + errno_text(errno));
}

Daemon::~Daemon() { capture_stop_ = true; }

int Daemon::run() {
  parts_ = std::make_unique<Parts>();
  // Before any thread starts, so that every thread inherits the blocked mask.
  if (options_.handle_signals) parts_->signals.emplace();
  start();
  control_loop();
  return finish();
}

void Daemon::request_stop() {
  stop_requested_ = true;
  wake();
}

void Daemon::request_rotate() {
  rotate_requested_ = true;
  wake();
}

void Daemon::request_reload() {
  reload_requested_ = true;
  wake();
}

void Daemon::wake() {
  std::uint64_t one = 1;
  if (::write(wake_fd_.get(), &one, sizeof one) < 0) log::error("eventfd: " + errno_text(errno));
}

void Daemon::start() {
  Parts& p = *parts_;
  // 1. The packet source: interface, BPF and permissions are checked before any file is made.
  std::unique_ptr<PacketSource> source = options_.open_source(config_.filter);
  const StreamParams stream = stream_params(config_, *source);

  // 2. The ring: directory, lock, crash recovery. 3. The hook pipeline: its durable queue is
  //    read before the ring opens, so files the ring recovers from a crash are queued like
  //    any other finished file.
  const RingOptions ring = ring_options(config_);
  p.ring = std::make_unique<Ring>(ring);
  p.hooks = std::make_unique<HookPipeline>(hook_options(config_, ring.id), clock_);
  p.hooks->load();
  p.ring->set_on_finished([&p](const FileRecord& file) { p.hooks->enqueue(file); });
  p.ring->set_hook_state([&p](std::uint64_t seq) { return p.hooks->state_of(seq); },
                         [&p](std::uint64_t seq) { return p.hooks->claim_for_deletion(seq); });
  p.ring->open();
  p.hooks->reconcile(p.ring->finished_files());
  p.hooks->start();

  p.live.set_identity(config_.interface_name, config_.output_dir);
  p.reporter = std::make_unique<Reporter>(p.live, *p.hooks, p.notifier,
                                          config_.output_dir + "/" + state_file_name(RingId{config_.prefix, config_.interface_name}, StateFile::kStatus));
  p.queue = std::make_unique<BatchQueue>(kBatchCount, batch_capacity(stream));
  p.writer = std::make_unique<WriterLoop>(*p.queue, *p.ring, p.live, p.heartbeats);

  const bool live_capture = config_.read_file.empty();
  CaptureLoopOptions capture;
  capture.stream = stream;
  capture.limits = capture_limits(config_);
  capture.source_name = live_capture ? config_.interface_name : config_.read_file;
  capture.live = live_capture;
  capture.reopen = options_.open_source;
  capture.wedge_for_test = options_.wedge_capture_for_test;
  p.capture = std::make_unique<CaptureLoop>(std::move(capture), std::move(source), *p.queue, clock_, p.live,
                                            p.heartbeats);

  p.writer_thread = std::jthread([&p] {
    name_this_thread("pc-writer");
    p.writer->run();
  });
  p.capture_thread = std::jthread([this, &p] {
    name_this_thread("pc-capture");
    p.capture->run(capture_stop_);
    capture_ended_ = true;
    wake();
  });

  // READY=1 once the capture handle is active and the first file is open.
  for (int i = 0; i < 100 && !p.writer->first_file_open(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  LiveSnapshot s = p.reporter->snapshot();
  p.reporter->ready(s);
  p.reporter->publish(s, config_.metrics_file);
  log::info(live_capture ? "capturing on " + config_.interface_name + " into " + config_.output_dir
                         : "reading " + config_.read_file + " into " + config_.output_dir);
}

void Daemon::control_loop() {
  Parts& p = *parts_;
  // The watchdog is checked at half its interval, so one missed beat is not yet fatal.
  const std::uint64_t watchdog_usec = p.notifier.watchdog_usec();
  const int wait_ms =
      watchdog_usec ? static_cast<int>(std::clamp<std::uint64_t>(watchdog_usec / 2000, 200, 1000)) : 1000;
  NanoTime next_report = clock_.monotonic() + kReportInterval;
  while (true) {
    struct pollfd fds[2] = {{p.signals ? p.signals->fd() : -1, POLLIN, 0}, {wake_fd_.get(), POLLIN, 0}};
    int rc = ::poll(fds, 2, wait_ms);
    if (watchdog_usec && !stopping_ && p.heartbeats.healthy_since_last_check(p.queue->pending() == 0))
      p.notifier.watchdog();
    if (rc < 0 && errno != EINTR) {
      log::error("poll: " + errno_text(errno));
      return;
    }
    if (fds[1].revents & POLLIN) {
      std::uint64_t count;
      if (::read(wake_fd_.get(), &count, sizeof count) < 0 && errno != EAGAIN)
        log::error("eventfd: " + errno_text(errno));
    }
    if (capture_ended_) return;
    if (clock_.monotonic() >= next_report) {
      p.reporter->publish(p.reporter->snapshot(), config_.metrics_file);
      next_report = clock_.monotonic() + kReportInterval;
    }
    if (fds[0].revents & POLLIN)
      while (std::optional<int> signal_number = p.signals->next()) handle_signal(*signal_number);
    handle_requests();
  }
}

void Daemon::handle_signal(int signal_number) {
  switch (signal_number) {
    case SIGTERM:
    case SIGINT:
      begin_stop(std::string("stopping on ") + sigabbrev_np(signal_number));
      break;
    case SIGUSR1:
      parts_->capture->request_rotate();
      break;
    case SIGHUP:
      reload();
      break;
  }
}

void Daemon::handle_requests() {
  if (stop_requested_.exchange(false)) begin_stop("stopping on request");
  if (rotate_requested_.exchange(false)) parts_->capture->request_rotate();
  if (reload_requested_.exchange(false)) reload();
}

void Daemon::begin_stop(const std::string& reason) {
  Parts& p = *parts_;
  if (!stopping_) {
    stopping_ = true;
    p.notifier.stopping();
    p.live.set_state("stopping");
    log::info(reason + ": finishing the current file");
  }
  capture_stop_ = true;
}

void Daemon::reload() {
  Parts& p = *parts_;
  p.notifier.reloading();
  try {
    apply_reload(config_, options_.reload());
    // Only what the plan took over applies: the settings-table rows marked reloadable.
    p.capture->post_limits(capture_limits(config_));
    p.ring->set_limits(config_.retention(), config_.file_size_bytes());
    p.hooks->update_stages(stage_context(config_));
    log::notice("configuration reloaded");
  } catch (const StartupError& e) {
    log::error(std::string("reload failed, keeping the running configuration: ") + e.what());
  }
  p.reporter->ready(p.reporter->snapshot());
}

int Daemon::finish() {
  Parts& p = *parts_;
  capture_stop_ = true;
  p.capture_thread.join();
  p.writer_thread.join();
  p.ring->flush();  // a deletion a late reload asked for is done before the final report
  // The last file is queued by now; give pending hooks a bounded time to run.
  p.hooks->stop(clock_.monotonic() + static_cast<NanoTime>(config_.hook_drain_seconds) * kNanosPerSecond);
  const bool failed = p.capture->failed();
  const bool data_error = p.capture->data_error();
  p.live.set_state(failed || data_error ? "failed" : "stopped");
  LiveSnapshot final_state = p.reporter->snapshot();
  p.reporter->publish(final_state, config_.metrics_file);
  log::notice(summary_line(p.capture->packets(), p.capture->final_counters(), final_state));
  if (data_error) return kExitDataErr;
  return failed ? kExitUnavailable : kExitOk;
}

}  // namespace pcap_ring
