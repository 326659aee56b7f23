#include "extract/ring_stream.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <system_error>

#include "common/birth_time.h"
#include "common/safe_open.h"

namespace pcap_ring {
namespace {

std::string final_name_of(const std::string& part_name) { return part_name.substr(0, part_name.size() - 5); }

}  // namespace

RingStream::RingStream(CatalogRing ring, RingStreamOptions options, ExtractReport* report)
    : ring_(std::move(ring)), options_(std::move(options)), report_(report) {}

RingStream::~RingStream() { close_file(); }

bool RingStream::outside_window(const CatalogFile& file) const {
  return file.record && (!file.record->packets || !options_.window.overlaps(file.record->first, file.record->last));
}

bool RingStream::prepare(std::string* error) {
  dir_fd_ = UniqueFd(::open(ring_.directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd_.valid()) {
    *error = "cannot open ring directory '" + ring_.directory + "': " + errno_text(errno);
    return false;
  }
  for (const auto& w : ring_.warnings) report_->warnings.push_back(w);
  // The link type of the newest file that has a header: every file of a ring shares it.
  bool found = false;
  for (auto it = ring_.files.rbegin(); it != ring_.files.rend() && !found; ++it) {
    std::string why;
    UniqueFd fd = open_regular_at(dir_fd_.get(), it->name, O_RDONLY, &why);
    if (!fd.valid()) continue;
    RecordReader reader(std::move(fd));
    if (!reader.open(&why)) continue;
    linktype_ = reader.linktype();
    snaplen_ = reader.snaplen();
    found = true;
  }
  if (!found) {
    *error = "ring " + ring_label(ring_.id) + " in '" + ring_.directory + "' has no readable capture file";
    return false;
  }
  std::string why;
  if (!filter_.compile(options_.filter, linktype_, snaplen_, &why)) {
    *error = "--filter '" + options_.filter + "': " + why;
    return false;
  }
  flow_query_ = parse_flow_query(options_.filter);
  for (const auto& file : ring_.files) {
    if (!file.record) continue;
    if (file.record->packets && (!ring_first_ || file.record->first < *ring_first_)) ring_first_ = file.record->first;
    if (file.record->packets && (!ring_last_ || file.record->last > *ring_last_)) ring_last_ = file.record->last;
    if (file.record->packets && options_.window.overlaps(file.record->first, file.record->last))
      drops_ += file.record->drops;
  }
  if (options_.use_flow_index) {
    std::vector<std::string> finished;
    for (const auto& file : ring_.files)
      if (!file.partial && !outside_window(file))
        finished.push_back(file.name);
    try {
      if (finished.size() > 1)  // one file: nothing to overlap
        plan_ahead_ = std::make_unique<PlanAhead>(dir_fd_.get(), options_.window,
                                                  flow_query_ ? &*flow_query_ : nullptr, std::move(finished));
    } catch (const std::system_error&) {
      plan_ahead_.reset();  // no thread to be had (a process limit): each file is planned when opened
    }
  }
  // The oldest file covers the time from its creation, even before its first packet (a file
  // written from an old capture with --read has older packets than its creation).
  if (!ring_.files.empty()) {
    NanoTime born = birth_time(dir_fd_.get(), ring_.files.front().name);
    if (born > 0 && (!ring_first_ || born < *ring_first_)) ring_first_ = born;
  }
  return true;
}

void RingStream::note_time(NanoTime ts) {
  if (!ring_first_ || ts < *ring_first_) ring_first_ = ts;
  if (!ring_last_ || ts > *ring_last_) ring_last_ = ts;
}

bool RingStream::open_file(const CatalogFile& file) {
  std::string why;
  std::string name = file.name;
  UniqueFd fd = open_regular_at(dir_fd_.get(), name, O_RDONLY, &why);
  if (!fd.valid() && file.partial && errno == ENOENT) {
    name = final_name_of(file.name);  // finished meanwhile
    fd = open_regular_at(dir_fd_.get(), name, O_RDONLY, &why);
  }
  if (!fd.valid()) {
    // Deleted by retention before it could be opened: the window lost it.
    if (file.record && options_.window.overlaps(file.record->first, file.record->last)) lost_file_ = true;
    if (errno != ENOENT) report_->warnings.push_back(ring_.directory + "/" + name + ": skipped: " + why);
    return false;
  }
  auto reader = std::make_unique<RecordReader>(std::move(fd));
  if (options_.before_buffer_reuse) reader->set_before_reuse(options_.before_buffer_reuse);
  if (!reader->open(&why)) {
    // A live file may not have its header yet; anything else is not a capture file.
    if (!file.partial) report_->warnings.push_back(ring_.directory + "/" + name + ": skipped: " + why);
    return false;
  }
  std::optional<FilePlan> planned;
  if (plan_ahead_ && !file.partial) planned = plan_ahead_->take(name, &report_->warnings);
  if (planned) {
    plan_ = std::move(*planned);
    if (!plan_.indexed && !plan_.ranges.empty()) plan_.ranges.front().begin = reader->header_bytes();
  } else {
    plan_ = plan_file(dir_fd_.get(), name, reader->header_bytes(), options_.window,
                      flow_query_ ? &*flow_query_ : nullptr, options_.use_flow_index && !file.partial,
                      &index_scratch_, &report_->warnings);
  }
  if (plan_.ranges.empty()) {
    ++report_->files_skipped;
    return false;
  }
  if (plan_.indexed) ++report_->files_indexed;
  range_ = 0;
  reader->seek(plan_.ranges.front().begin, plan_.ranges.front().end);
  reader_ = std::move(reader);
  file_name_ = name;
  file_partial_ = file.partial && name == file.name;
  ++report_->files_read;
  return true;
}

void RingStream::close_file() {
  if (reader_ && options_.before_buffer_reuse) options_.before_buffer_reuse();
  reader_.reset();
  file_partial_ = false;
}

bool RingStream::open_next_file(NanoTime now, bool* waiting) {
  *waiting = false;
  for (;;) {
    while (next_file_ < ring_.files.size()) {
      const CatalogFile& file = ring_.files[next_file_++];
      if (last_seq_ && file.seq <= *last_seq_) continue;  // listed twice while it was renamed
      const std::optional<std::uint64_t> before = last_seq_;
      last_seq_ = file.seq;
      if (outside_window(file)) {
        ++report_->files_skipped;
        continue;
      }
      if (file.partial) seen_live_ = true;
      if (open_file(file)) return true;
      if (file.partial && now < options_.follow_until && !saw_past_window_) {
        // Just created, its header not written yet: tried again at the next poll.
        last_seq_ = before;
        *waiting = true;
        return false;
      }
    }
    if (saw_past_window_ || now >= options_.follow_until) return false;
    // Following: files that appeared since the ring was listed.
    refresh_ring(&ring_);
    next_file_ = 0;
    bool newer = std::any_of(ring_.files.begin(), ring_.files.end(),
                             [&](const CatalogFile& f) { return !last_seq_ || f.seq > *last_seq_; });
    if (!newer) {
      // Only a ring being written can still deliver packets: one with a live file now, or seen
      // with one (between two files the writer may wait for room before the next exists).
      if (std::any_of(ring_.files.begin(), ring_.files.end(), [](const CatalogFile& f) { return f.partial; }))
        seen_live_ = true;
      *waiting = seen_live_;
      return false;
    }
  }
}

bool RingStream::live_file_may_grow(NanoTime now) {
  if (!file_partial_ || saw_past_window_ || now >= options_.follow_until) return false;
  refresh_ring(&ring_);
  next_file_ = 0;
  for (const auto& f : ring_.files)
    if (f.name == file_name_) return true;  // still being written
  // Renamed (finished) or removed: what the descriptor holds now is the whole file.
  file_partial_ = false;
  return true;
}

RingStream::State RingStream::advance(NanoTime now) {
  for (;;) {
    if (!reader_) {
      bool waiting = false;
      if (!open_next_file(now, &waiting)) return waiting ? State::kWait : State::kEnd;
    }
    RecordReader::Status status = reader_->next(&packet_);
    if (status == RecordReader::Status::kRecord) {
      if (packet_.offset >= plan_.ranges[range_].end) {
        if (++range_ < plan_.ranges.size()) {
          reader_->seek(plan_.ranges[range_].begin, plan_.ranges[range_].end);
        } else {
          close_file();
        }
        continue;
      }
      ++report_->packets_scanned;
      report_->bytes_read += packet_.caplen;
      note_time(packet_.ts);
      if (!options_.window.contains(packet_.ts)) {
        if (packet_.ts >= options_.window.to) saw_past_window_ = true;
        continue;
      }
      if (!filter_.matches(packet_)) continue;
      ++report_->packets_matched;
      return State::kPacket;
    }
    if (status == RecordReader::Status::kMalformed) {
      report_->warnings.push_back(ring_.directory + "/" + file_name_ + ": the rest of the file skipped: " +
                                  reader_->error());
      close_file();
      continue;
    }
    // The end of the bytes there are now.
    if (file_partial_) {
      bool was_partial = file_partial_;
      if (live_file_may_grow(now)) {
        if (file_partial_ == was_partial) return State::kWait;
        continue;  // renamed: read what is left once more, then it ends
      }
    }
    if (++range_ < plan_.ranges.size()) {
      reader_->seek(plan_.ranges[range_].begin, plan_.ranges[range_].end);
      continue;
    }
    close_file();
  }
}

// `window_to` is the window's end, or the earlier moment an idle timeout ended it.
RingCoverage RingStream::coverage(NanoTime now, NanoTime window_to) const {
  RingCoverage c;
  c.ring = ring_label(ring_.id);
  c.directory = ring_.directory;
  c.drops = drops_;
  if (!ring_first_ || !ring_last_) return c;
  bool live = std::any_of(ring_.files.begin(), ring_.files.end(), [](const CatalogFile& f) { return f.partial; });
  // A ring still being written covers up to now: no packet since the last one means none came.
  NanoTime newest = live ? std::max(*ring_last_, now) : *ring_last_;
  NanoTime from = std::max(options_.window.from, *ring_first_);
  NanoTime to = std::min(window_to, saw_past_window_ ? window_to : newest);
  if (from >= to) return c;
  c.from = from;
  c.to = to;
  c.complete = from == options_.window.from && to == window_to && !lost_file_;
  return c;
}

}  // namespace pcap_ring
