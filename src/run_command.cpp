#include "run_command.h"

#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <poll.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <thread>

#include "capture_source.h"
#include "heartbeat.h"
#include "hook_pipeline.h"
#include "log.h"
#include "record_batch.h"
#include "recorder.h"
#include "ring.h"
#include "unique_fd.h"

namespace pcap_ring {
namespace {

// Batches of 1 MiB (or two maximal records) and a pool of 16: writes are large and the
// records waiting for the disk never take more than ~16 MiB.
constexpr std::size_t kBatchCount = 16;
std::size_t batch_capacity(const StreamParams& params) {
  std::size_t two_records = 2 * (record_size(params, params.snaplen) + trailer_size(params));
  return std::max<std::size_t>(1 << 20, two_records);
}

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

}  // namespace

int run_capture(const CaptureConfig& config) {
  // 1. The packet source: interface, BPF and permissions are checked before any file is made.
  std::unique_ptr<PcapSource> source;
  if (!config.read_file.empty()) {
    source = PcapSource::open_file(config.read_file, config.filter);
  } else {
    LiveOptions live;
    live.interface_name = config.interface_name;
    live.snaplen = config.snaplen;
    live.promisc = config.promisc;
    live.buffer_bytes = config.buffer_size_mb << 20;
    live.filter = config.filter;
    source = PcapSource::open_live(live);
    if (!source->activation_warning().empty())
      log::warning("interface " + config.interface_name + ": " + source->activation_warning());
  }

  StreamParams stream;
  stream.format = config.format;
  stream.precision = config.tstamp;
  stream.linktype = source->linktype();
  stream.snaplen = std::min(config.snaplen, std::max<std::uint32_t>(source->snaplen(), 1));
  if (!config.read_file.empty()) stream.snaplen = std::max<std::uint32_t>(source->snaplen(), 1);
  stream.interface_name = config.interface_name;
  stream.filter = config.filter;

  // 2. The ring: directory, lock, crash recovery.
  RingOptions ring_options;
  ring_options.directory = config.output_dir;
  ring_options.id = {config.prefix, config.interface_name};
  ring_options.format = config.format;
  ring_options.limits = config.retention();
  ring_options.file_size_bytes = config.file_size_bytes();
  Ring ring(ring_options);

  // 3. The hook pipeline: its durable queue is read before the ring opens, so files the
  //    ring recovers from a crash are queued like any other finished file.
  SystemClock clock;
  HookPipelineOptions hook_options;
  hook_options.state_path = config.output_dir + "/" + hook_queue_file_name(ring_options.id);
  hook_options.ring_dir = config.output_dir;
  hook_options.stages.hooks_dir = config.hooks_dir;
  hook_options.stages.post_rotate = config.post_rotate;
  hook_options.stages.interface_name = config.interface_name;
  hook_options.stages.timeout = std::chrono::seconds(config.hook_timeout_seconds);
  for (const auto& [key, value] : current_environment()) hook_options.stages.base_env.push_back(key + "=" + value);
  hook_options.jobs = static_cast<unsigned>(config.hook_jobs);
  HookPipeline hooks(hook_options, clock);
  hooks.load();
  ring.set_on_finished([&](const FileRecord& file) { hooks.enqueue(file); });
  ring.set_hook_state([&](std::uint64_t seq) { return hooks.state_of(seq); },
                      [&](std::uint64_t seq) { hooks.evicted(seq); });
  ring.open();
  hooks.reconcile(ring.index().records());
  hooks.start();

  UniqueFd signal_fd = block_and_open_signals();
  UniqueFd capture_done(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!capture_done.valid()) throw StartupError(kExitSoftware, "eventfd: " + errno_text(errno));

  BatchQueue queue(kBatchCount, batch_capacity(stream));
  std::atomic<bool> stop_requested{false};
  std::atomic<bool> rotate_requested{false};
  std::atomic<bool> capture_failed{false};
  Heartbeats heartbeats;
  CaptureCounters final_counters;

  std::jthread writer([&] {
    for (;;) {
      auto batch = queue.next();
      bool last = batch->end_of_stream;
      ring.write_batch(*batch);
      queue.release(std::move(batch));
      heartbeats.writer_beat();
      if (last) return;
    }
  });

  std::uint64_t captured_packets = 0;
  std::jthread capture([&] {
    RecorderOptions options;
    options.stream = stream;
    options.file_size_bytes = config.file_size_bytes();
    options.rotate_interval = static_cast<NanoTime>(config.rotate_seconds) * kNanosPerSecond;
    Recorder recorder(options, queue, clock, [&] { return source->counters(); });
    while (!stop_requested.load(std::memory_order_relaxed)) {
      DispatchStatus status = source->dispatch(recorder, 100);
      heartbeats.capture_beat();
      if (status == DispatchStatus::kEndOfInput) break;
      if (status == DispatchStatus::kError) {
        log::error("capture on " + config.interface_name + " failed: " + source->last_error());
        capture_failed = true;
        break;
      }
      if (rotate_requested.exchange(false)) recorder.rotate();
      recorder.tick();
    }
    recorder.finish();
    captured_packets = recorder.packets();
    final_counters = source->counters();
    std::uint64_t one = 1;
    if (::write(capture_done.get(), &one, sizeof one) < 0) log::error("eventfd: " + errno_text(errno));
  });

  sd_notifyf(0, "READY=1\nSTATUS=capturing on %s into %s", config.interface_name.c_str(),
             config.output_dir.c_str());
  log::info("capturing on " + config.interface_name + " into " + config.output_dir + " (next file " +
            ring_file_name(ring_options.id, ring.next_sequence(), config.format) + ")");

  // The watchdog is checked at half its interval, so one missed beat is not yet fatal.
  std::uint64_t watchdog_usec = 0;
  bool watchdog = sd_watchdog_enabled(0, &watchdog_usec) > 0;
  int wait_ms = watchdog ? static_cast<int>(std::clamp<std::uint64_t>(watchdog_usec / 2000, 200, 1000)) : 1000;
  bool stopping = false;
  while (true) {
    struct pollfd fds[2] = {{signal_fd.get(), POLLIN, 0}, {capture_done.get(), POLLIN, 0}};
    int rc = ::poll(fds, 2, wait_ms);
    if (watchdog && !stopping && heartbeats.healthy_since_last_check(queue.pending() == 0))
      sd_notify(0, "WATCHDOG=1");
    if (rc < 0 && errno != EINTR) {
      log::error("poll: " + errno_text(errno));
      break;
    }
    if (fds[1].revents & POLLIN) break;
    if (fds[0].revents & POLLIN) {
      struct signalfd_siginfo info {};
      while (::read(signal_fd.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
        switch (info.ssi_signo) {
          case SIGTERM:
          case SIGINT:
            if (!stopping) {
              stopping = true;
              sd_notify(0, "STOPPING=1");
              log::info(std::string("stopping on ") + strsignal(static_cast<int>(info.ssi_signo)) +
                        ": finishing the current file");
            }
            stop_requested = true;
            break;
          case SIGUSR1:
            rotate_requested = true;
            break;
          case SIGHUP:
            log::notice("SIGHUP: configuration reload is not supported yet; restart to apply changes");
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
  HookPipelineSnapshot hook_totals = hooks.snapshot();

  const RingCounters& rc = ring.counters();
  std::string summary = "captured=" + std::to_string(captured_packets) +
                        " dropped=" + std::to_string(final_counters.dropped) +
                        " written=" + std::to_string(rc.packets_written) +
                        " lost_to_disk=" + std::to_string(rc.packets_lost) +
                        " files=" + std::to_string(rc.files_finished) +
                        " deleted=" + std::to_string(rc.files_deleted) +
                        " hooks_ok=" + std::to_string(hook_totals.stats.stages_succeeded) +
                        " hooks_failed=" + std::to_string(hook_totals.stats.stages_failed) +
                        " hooks_pending=" + std::to_string(hook_totals.backlog) +
                        " evicted=" + std::to_string(rc.files_evicted);
  log::notice(summary);
  if (capture_failed) return kExitUnavailable;
  return kExitOk;
}

}  // namespace pcap_ring
