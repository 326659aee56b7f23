#include "service/run_command.h"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

#include "common/atomic_file.h"
#include "capture/pcap_source.h"
#include "capture/read_failure.h"
#include "service/heartbeat.h"
#include "hooks/hook_base_environment.h"
#include "hooks/hook_pipeline.h"
#include "service/live_stats.h"
#include "common/log.h"
#include "service/notifier.h"
#include "ring/record_batch.h"
#include "capture/recorder.h"
#include "ring/ring.h"
#include "service/service_report.h"
#include "common/unique_fd.h"

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
constexpr NanoTime kReopenMaxBackoff = 30 * kNanosPerSecond;

// Signals are blocked in every thread and read here through a signalfd, so no code runs
// in signal context.
UniqueFd block_and_open_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGTERM, SIGINT, SIGUSR1, SIGHUP}) sigaddset(&set, s);
  if (pthread_sigmask(SIG_BLOCK, &set, nullptr) != 0) throw StartupError(kExitSoftware, "cannot block signals");
  int fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (fd < 0) throw StartupError(kExitSoftware, "signalfd: " + errno_text(errno));
  return UniqueFd(fd);
}

LiveOptions live_options(const CaptureConfig& config) {
  LiveOptions live;
  live.interface_name = config.interface_name;
  live.snaplen = config.snaplen;
  live.promisc = config.promisc;
  live.buffer_bytes = config.buffer_size_mb << 20;
  live.filter = config.filter;
  return live;
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

// Settings a reload cannot change on a running capture; they wait for a restart.
std::vector<std::string> restart_only_changes(const CaptureConfig& a, const CaptureConfig& b) {
  std::vector<std::string> changed;
  if (a.output_dir != b.output_dir) changed.push_back("output_dir");
  if (a.prefix != b.prefix) changed.push_back("prefix");
  if (a.snaplen != b.snaplen) changed.push_back("snaplen");
  if (a.buffer_size_mb != b.buffer_size_mb) changed.push_back("buffer_size");
  if (a.promisc != b.promisc) changed.push_back("promisc");
  if (a.format != b.format) changed.push_back("format");
  if (a.tstamp != b.tstamp) changed.push_back("tstamp");
  if (a.hook_jobs != b.hook_jobs) changed.push_back("hook_jobs");
  if (a.direct_io != b.direct_io) changed.push_back("direct_io");
  return changed;
}

// What a reload hands to the capture thread.
struct CaptureReload {
  std::mutex mutex;
  bool pending = false;
  std::string filter;
  std::uint64_t file_size_bytes = 0;
  NanoTime rotate_interval = 0;
};

}  // namespace

int run_capture(const CaptureConfig& initial_config, std::function<CaptureConfig()> reload) {
  CaptureConfig config = initial_config;
  const bool live_capture = config.read_file.empty();
  // Before any thread starts, so that every thread inherits the blocked mask.
  UniqueFd signal_fd = block_and_open_signals();

  // 1. The packet source: interface, BPF and permissions are checked before any file is made.
  std::unique_ptr<PcapSource> source;
  if (!live_capture) {
    source = PcapSource::open_file(config.read_file, config.filter);
  } else {
    source = PcapSource::open_live(live_options(config));
    if (!source->activation_warning().empty())
      log::warning("interface " + config.interface_name + ": " + source->activation_warning());
  }

  StreamParams stream;
  stream.format = config.format;
  stream.precision = config.tstamp;
  stream.linktype = source->linktype();
  stream.snaplen = live_capture ? std::min(config.snaplen, std::max<std::uint32_t>(source->snaplen(), 1))
                                : std::max<std::uint32_t>(source->snaplen(), 1);
  stream.interface_name = config.interface_name;
  stream.filter = config.filter;

  // 2. The ring: directory, lock, crash recovery.
  RingOptions ring_options;
  ring_options.directory = config.output_dir;
  ring_options.id = {config.prefix, config.interface_name};
  ring_options.format = config.format;
  ring_options.limits = config.retention();
  ring_options.file_size_bytes = config.file_size_bytes();
  ring_options.direct_io = config.direct_io;
  Ring ring(ring_options);

  // 3. The hook pipeline: its durable queue is read before the ring opens, so files the
  //    ring recovers from a crash are queued like any other finished file.
  SystemClock clock;
  HookPipelineOptions hook_options;
  hook_options.state_path = config.output_dir + "/" + hook_queue_file_name(ring_options.id);
  hook_options.ring_dir = config.output_dir;
  hook_options.stages = stage_context(config);
  hook_options.jobs = static_cast<unsigned>(config.hook_jobs);
  HookPipeline hooks(hook_options, clock);
  hooks.load();
  ring.set_on_finished([&](const FileRecord& file) { hooks.enqueue(file); });
  ring.set_hook_state([&](std::uint64_t seq) { return hooks.state_of(seq); },
                      [&](std::uint64_t seq) { return hooks.claim_for_deletion(seq); });
  ring.open();
  hooks.reconcile(ring.index().records());
  hooks.start();

  UniqueFd capture_done(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!capture_done.valid()) throw StartupError(kExitSoftware, "eventfd: " + errno_text(errno));

  LiveStats live;
  live.set_identity(config.interface_name, config.output_dir);
  const std::string status_path = config.output_dir + "/" + status_file_name(config.prefix, config.interface_name);
  BatchQueue queue(kBatchCount, batch_capacity(stream));
  std::atomic<bool> stop_requested{false};
  std::atomic<bool> rotate_requested{false};
  std::atomic<bool> capture_failed{false};
  std::atomic<bool> read_data_error{false};  // --read met a damaged record
  std::atomic<bool> first_file_open{false};
  Heartbeats heartbeats;
  CaptureReload capture_reload;
  CaptureCounters final_counters;
  std::uint64_t captured_packets = 0;

  std::jthread writer([&] {
    for (;;) {
      auto batch = queue.next();
      bool last = batch->end_of_stream;
      ring.write_batch(*batch);
      queue.release(std::move(batch));
      const RingCounters& c = ring.counters();
      live.set_writer(ring.live_file(), c.packets_written, c.bytes_written, c.packets_lost, c.files_finished,
                      c.files_deleted, c.files_evicted, c.write_errors);
      first_file_open = true;
      heartbeats.writer_beat();
      if (last) return;
    }
  });

  // The capture thread works from its own copy: a reload changes `config` on this thread.
  const CaptureConfig capture_config = config;
  std::jthread capture([&] {
    // A test-only fault switch: the capture loop stops making progress (to prove that the
    // watchdog then restarts the service).
    const bool wedge_for_test = std::getenv("PACKET_CAPTURE_TEST_WEDGE_CAPTURE") != nullptr;
    NanoTime wedge_at = clock.monotonic() + 2 * kNanosPerSecond;

    // Counters survive reopening the interface: earlier handles' totals are kept here.
    CaptureCounters before_reopen;
    auto counters = [&] {
      CaptureCounters c = before_reopen;
      if (source) {
        CaptureCounters now = source->counters();
        c.received += now.received;
        c.dropped += now.dropped;
      }
      return c;
    };
    RecorderOptions options;
    options.stream = stream;
    options.file_size_bytes = capture_config.file_size_bytes();
    options.rotate_interval = static_cast<NanoTime>(capture_config.rotate_seconds) * kNanosPerSecond;
    Recorder recorder(options, queue, clock, counters);
    NanoTime reopen_at = 0;
    NanoTime reopen_backoff = kNanosPerSecond;
    std::string current_filter = capture_config.filter;
    live.set_state("capturing");

    while (!stop_requested.load(std::memory_order_relaxed)) {
      if (wedge_for_test && clock.monotonic() >= wedge_at) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));  // no heartbeat
        continue;
      }
      heartbeats.capture_beat();
      {
        std::lock_guard lock(capture_reload.mutex);
        if (capture_reload.pending) {
          capture_reload.pending = false;
          recorder.set_limits(capture_reload.file_size_bytes, capture_reload.rotate_interval);
          if (capture_reload.filter != current_filter) {
            std::string error;
            if (!source || source->set_filter(capture_reload.filter, &error)) {
              current_filter = capture_reload.filter;
              log::notice("filter is now '" + current_filter + "'");
            } else {
              log::error("reload: filter '" + capture_reload.filter + "' not applied: " + error);
            }
          }
        }
      }
      if (!source) {
        // The interface went away: keep the ring, retry with backoff, say so in STATUS=.
        if (clock.monotonic() >= reopen_at) {
          try {
            LiveOptions lo = live_options(capture_config);
            lo.filter = current_filter;
            source = PcapSource::open_live(lo);
            live.interface_restarts.fetch_add(1);
            live.set_state("capturing");
            log::notice("interface " + capture_config.interface_name + " is back; capture resumed");
            reopen_backoff = kNanosPerSecond;
          } catch (const StartupError& e) {
            reopen_at = clock.monotonic() + reopen_backoff;
            live.set_state("interface " + capture_config.interface_name + " unavailable, retrying in " +
                           std::to_string(reopen_backoff / kNanosPerSecond) + " s");
            reopen_backoff = std::min(reopen_backoff * 2, kReopenMaxBackoff);
          }
        }
        recorder.tick();
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        continue;
      }
      DispatchStatus status = source->dispatch(recorder, 100);
      if (status == DispatchStatus::kEndOfInput) break;
      if (status == DispatchStatus::kError) {
        if (!live_capture && is_truncated_last_record(source->last_error())) {
          log::warning(capture_config.read_file + ": the last record is cut short (" + source->last_error() +
                       "); every whole record before it was read");
          break;
        }
        if (!live_capture) {
          log::error("reading " + capture_config.read_file + " failed: " + source->last_error());
          read_data_error = true;
          break;
        }
        log::warning("capture on " + capture_config.interface_name + " failed: " + source->last_error() +
                     "; the ring stays open and the interface is retried");
        before_reopen = counters();
        source.reset();
        reopen_at = clock.monotonic() + reopen_backoff;
        live.set_state("interface " + capture_config.interface_name + " unavailable: retrying");
        continue;
      }
      if (rotate_requested.exchange(false)) recorder.rotate();
      recorder.tick();
      live.packets.store(recorder.packets(), std::memory_order_relaxed);
      live.kernel_drops.store(counters().dropped, std::memory_order_relaxed);
    }
    recorder.finish();
    captured_packets = recorder.packets();
    final_counters = counters();
    live.packets = captured_packets;
    live.kernel_drops = final_counters.dropped;
    std::uint64_t one = 1;
    if (::write(capture_done.get(), &one, sizeof one) < 0) log::error("eventfd: " + errno_text(errno));
  });

  // READY=1 once the capture handle is active and the first file is open.
  for (int i = 0; i < 100 && !first_file_open; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  Notifier notifier;
  auto report = [&] {
    LiveSnapshot s = live.snapshot();
    HookPipelineSnapshot h = hooks.snapshot();
    s.hook_backlog = h.backlog;
    s.hooks_running = h.running;
    s.hook_stages_ok = h.stats.stages_succeeded;
    s.hook_stages_failed = h.stats.stages_failed;
    s.hook_stages_retried = h.stats.stages_retried;
    s.hook_stages_timed_out = h.stats.stages_timed_out;
    return s;
  };
  auto publish = [&](const LiveSnapshot& s) {
    notifier.status(status_line(s));
    if (int err = write_file_atomically(status_path, status_json(s)); err != 0)
      log::warning("cannot write the status file " + status_path + ": " + errno_text(err));
    if (!config.metrics_file.empty())
      if (int err = write_file_atomically(config.metrics_file, metrics_text(s)); err != 0)
        log::warning("cannot write the metrics file " + config.metrics_file + ": " + errno_text(err));
  };
  {
    LiveSnapshot s = report();
    notifier.ready(status_line(s));
    publish(s);
  }
  log::info(live_capture ? "capturing on " + config.interface_name + " into " + config.output_dir
                         : "reading " + config.read_file + " into " + config.output_dir);

  // The watchdog is checked at half its interval, so one missed beat is not yet fatal.
  std::uint64_t watchdog_usec = notifier.watchdog_usec();
  int wait_ms = watchdog_usec ? static_cast<int>(std::clamp<std::uint64_t>(watchdog_usec / 2000, 200, 1000)) : 1000;
  NanoTime next_report = clock.monotonic() + kReportInterval;
  bool stopping = false;
  while (true) {
    struct pollfd fds[2] = {{signal_fd.get(), POLLIN, 0}, {capture_done.get(), POLLIN, 0}};
    int rc = ::poll(fds, 2, wait_ms);
    if (watchdog_usec && !stopping && heartbeats.healthy_since_last_check(queue.pending() == 0)) notifier.watchdog();
    if (rc < 0 && errno != EINTR) {
      log::error("poll: " + errno_text(errno));
      break;
    }
    if (fds[1].revents & POLLIN) break;
    if (clock.monotonic() >= next_report) {
      publish(report());
      next_report = clock.monotonic() + kReportInterval;
    }
    if (!(fds[0].revents & POLLIN)) continue;
    struct signalfd_siginfo info {};
    while (::read(signal_fd.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
      switch (info.ssi_signo) {
        case SIGTERM:
        case SIGINT:
          if (!stopping) {
            stopping = true;
            notifier.stopping();
            live.set_state("stopping");
            log::info(std::string("stopping on ") + sigabbrev_np(static_cast<int>(info.ssi_signo)) +
                      ": finishing the current file");
          }
          stop_requested = true;
          break;
        case SIGUSR1:
          rotate_requested = true;
          break;
        case SIGHUP: {
          notifier.reloading();
          try {
            CaptureConfig next = reload();
            if (next.interface_name != config.interface_name) throw ConfigError("the interface cannot change on reload");
            for (const auto& name : restart_only_changes(config, next))
              log::warning("reload: " + name + " changed; it takes effect after a restart");
            {
              std::lock_guard lock(capture_reload.mutex);
              capture_reload.pending = true;
              capture_reload.filter = next.filter;
              capture_reload.file_size_bytes = next.file_size_bytes();
              capture_reload.rotate_interval = static_cast<NanoTime>(next.rotate_seconds) * kNanosPerSecond;
            }
            ring.set_limits(next.retention(), next.file_size_bytes());
            hooks.update_stages(stage_context(next));
            config.filter = next.filter;
            config.file_size_mb = next.file_size_mb;
            config.rotate_seconds = next.rotate_seconds;
            config.file_limit = next.file_limit;
            config.max_bytes = next.max_bytes;
            config.hooks_dir = next.hooks_dir;
            config.post_rotate = next.post_rotate;
            config.hook_timeout_seconds = next.hook_timeout_seconds;
            config.hook_drain_seconds = next.hook_drain_seconds;
            config.hook_backlog_bytes = next.hook_backlog_bytes;
            config.metrics_file = next.metrics_file;
            log::notice("configuration reloaded");
          } catch (const StartupError& e) {
            log::error(std::string("reload failed, keeping the running configuration: ") + e.what());
          }
          notifier.ready(status_line(report()));
          break;
        }
      }
    }
  }
  stop_requested = true;
  capture.join();
  writer.join();
  // The last file is queued by now; give pending hooks a bounded time to run.
  hooks.stop(clock.monotonic() + static_cast<NanoTime>(config.hook_drain_seconds) * kNanosPerSecond);
  live.set_state(capture_failed || read_data_error ? "failed" : "stopped");
  LiveSnapshot final_state = report();
  publish(final_state);

  std::string summary = "captured=" + std::to_string(captured_packets) +
                        " dropped=" + std::to_string(final_counters.dropped) +
                        " written=" + std::to_string(final_state.packets_written) +
                        " lost_to_disk=" + std::to_string(final_state.packets_lost) +
                        " files=" + std::to_string(final_state.files_finished) +
                        " deleted=" + std::to_string(final_state.files_deleted) +
                        " hooks_ok=" + std::to_string(final_state.hook_stages_ok) +
                        " hooks_failed=" + std::to_string(final_state.hook_stages_failed) +
                        " hooks_pending=" + std::to_string(final_state.hook_backlog) +
                        " evicted=" + std::to_string(final_state.files_evicted);
  log::notice(summary);
  if (read_data_error) return kExitDataErr;
  return capture_failed ? kExitUnavailable : kExitOk;
}

}  // namespace pcap_ring
