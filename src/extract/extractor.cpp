#include "extract/extractor.h"

#include <chrono>
#include <limits>
#include <memory>
#include <optional>
#include <thread>

#include "common/exit_codes.h"
#include "extract/ring_stream.h"

namespace pcap_ring {
namespace {

constexpr auto kFollowPoll = std::chrono::milliseconds(100);

NanoTime wall_now() { return SystemClock().now(); }

std::vector<OutputInterface> output_interfaces(const std::vector<std::unique_ptr<RingStream>>& streams,
                                               const ExtractRequest& request, FileFormat format) {
  std::vector<OutputInterface> interfaces;
  for (const auto& s : streams) {
    if (format == FileFormat::kPcap && s->linktype() != streams.front()->linktype())
      throw UsageError("--format pcap cannot hold rings of different link types (" +
                       std::to_string(streams.front()->linktype()) + " and " + std::to_string(s->linktype()) +
                       "); use --format pcapng");
    OutputInterface i;
    i.linktype = s->linktype();
    i.snaplen = s->snaplen();
    i.name = request.host_name.empty() ? s->id().interface_name : request.host_name + "/" + s->id().interface_name;
    i.filter = request.filter;
    interfaces.push_back(i);
  }
  return interfaces;
}

bool stopped(const ExtractRequest& request) { return request.stop && request.stop->load(); }

}  // namespace

ExtractReport extract(const ExtractRequest& request, int out_fd) {
  ExtractReport report;
  report.window = request.window;
  report.filter = request.filter;
  RingStreamOptions options;
  options.window = request.window;
  options.filter = request.filter;
  options.use_flow_index = request.use_flow_index;
  NanoTime now = wall_now();
  // Saturating: a window may end at the largest time a NanoTime holds.
  const NanoTime follow_end = request.window.to > std::numeric_limits<NanoTime>::max() - request.follow_grace
                                  ? std::numeric_limits<NanoTime>::max()
                                  : request.window.to + request.follow_grace;
  options.follow_until = follow_end > now ? follow_end : 0;
  // Made once the streams exist (it names their rings); declared first, so that it outlives
  // them: a stream's reader asks it to write out borrowed bytes until the end.
  std::optional<ExtractOutput> output;
  options.before_buffer_reuse = [&output] {
    if (output) output->release_borrowed();
  };

  std::vector<std::unique_ptr<RingStream>> streams;
  for (const auto& ring : request.rings) {
    auto stream = std::make_unique<RingStream>(ring, options, &report);
    std::string error;
    if (!stream->prepare(&error)) {
      if (error.starts_with("--filter")) throw UsageError(error);
      report.warnings.push_back(error);
      continue;
    }
    streams.push_back(std::move(stream));
  }
  if (streams.empty()) throw ConfigError("no readable ring: " + (report.warnings.empty() ? "" : report.warnings.front()));
  FileFormat format = request.format.value_or(streams.size() > 1 ? FileFormat::kPcapng : FileFormat::kPcap);
  output.emplace(out_fd, format, output_interfaces(streams, request, format), request.limits);
  if (!output->begin()) throw UsageError(output->error());

  enum class Head { kUnknown, kPacket, kWait, kEnd };
  std::vector<Head> heads(streams.size(), Head::kUnknown);
  // The clock only decides when to stop following a live file: read it every few hundred
  // packets, and after each wait, rather than for every packet.
  constexpr unsigned kClockEvery = 256;
  unsigned since_clock = 0;
  NanoTime last_progress = now;
  std::uint64_t packets_at_progress = 0;
  std::optional<NanoTime> ended_idle;
  for (;;) {
    if (stopped(request)) {
      report.limit = "signal";  // like a limit: what was extracted so far is a valid file, kept
      break;
    }
    if (++since_clock >= kClockEvery) {
      now = wall_now();
      since_clock = 0;
    }
    bool waiting = false;
    for (std::size_t i = 0; i < streams.size(); ++i) {
      if (heads[i] == Head::kUnknown || heads[i] == Head::kWait) {
        auto state = streams[i]->advance(now);
        heads[i] = state == RingStream::State::kPacket ? Head::kPacket
                   : state == RingStream::State::kWait ? Head::kWait
                                                       : Head::kEnd;
      }
      waiting |= heads[i] == Head::kWait;
    }
    // A ring still being written may yet deliver an earlier packet than the others have.
    if (waiting) {
      if (!output->finish()) break;  // what is merged so far reaches a pipe reader now
      std::this_thread::sleep_for(kFollowPoll);
      now = wall_now();
      since_clock = 0;
      if (output->packets() != packets_at_progress) {
        packets_at_progress = output->packets();
        last_progress = now;
      } else if (request.idle_timeout > 0 && now - last_progress >= request.idle_timeout) {
        report.limit = "timeout";
        ended_idle = now;
        break;
      }
      continue;
    }
    std::size_t best = streams.size();
    for (std::size_t i = 0; i < streams.size(); ++i)
      if (heads[i] == Head::kPacket && (best == streams.size() || streams[i]->packet().ts < streams[best]->packet().ts))
        best = i;
    if (best == streams.size()) break;
    auto result = output->write(best, streams[best]->packet());
    if (result == ExtractOutput::Result::kLimitPackets) {
      report.limit = "max-packets";
      break;
    }
    if (result == ExtractOutput::Result::kLimitBytes) {
      report.limit = "max-bytes";
      break;
    }
    if (result == ExtractOutput::Result::kWriteError) break;
    heads[best] = Head::kUnknown;
  }
  if (!output->finish() || !output->error().empty()) report.error = output->error();
  report.packets_written = output->packets();
  report.bytes_written = output->bytes();
  now = wall_now();
  if (ended_idle && *ended_idle < report.window.to) report.window.to = *ended_idle;
  for (const auto& s : streams) report.rings.push_back(s->coverage(now, report.window.to));
  return report;
}

}  // namespace pcap_ring
