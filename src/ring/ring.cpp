#include "ring/ring.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <cerrno>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>

#include "common/atomic_file.h"
#include "common/exit_codes.h"
#include "format/capture_scanner.h"
#include "common/log.h"
#include "common/safe_open.h"
#include "flows/flow_index_file.h"
#include "ring/direct_reopen.h"
#include "ring/ring_directory_trust.h"

namespace pcap_ring {

Ring::Ring(RingOptions options)
    : options_(std::move(options)),
      index_(options_.directory + "/" + state_file_name(options_.id, StateFile::kIndex)) {}

Ring::~Ring() = default;

std::string Ring::live_file() const { return live_fd_.valid() ? part_file_name(live_name_) : ""; }

void Ring::open() {
  const std::string& dir = options_.directory;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    throw ConfigError("output directory '" + dir + "' cannot be created: " + ec.message() +
                      "; expected a writable directory");
  dir_fd_.reset(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd_.valid())
    throw ConfigError("output directory '" + dir + "' cannot be opened: " + errno_text(errno) +
                      "; expected a writable directory");
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    throw ConfigError("output directory '" + dir + "' is not writable: " + errno_text(errno) +
                      "; expected a writable directory");
  if (std::string why = untrusted_ring_directory(dir_fd_.get()); !why.empty())
    throw ConfigError("output directory '" + dir + "' " + why);
  // One writer per ring: a second daemon would interleave sequence numbers.
  std::string lock_name = state_file_name(options_.id, StateFile::kLock);
  std::string lock_why;
  lock_fd_ = open_regular_at(dir_fd_.get(), lock_name, O_RDWR | O_CREAT, &lock_why, 0600);
  if (!lock_fd_.valid())
    throw ConfigError("output directory '" + dir + "': cannot open the lock file " + lock_name + ": " +
                      lock_why + "; expected a writable directory");
  if (::flock(lock_fd_.get(), LOCK_EX | LOCK_NB) != 0)
    throw StartupError(kExitUnavailable, "ring '" + ring_label(options_.id) +
                                             "' in '" + dir + "' is in use by another packet-capture");

  std::vector<std::string> warnings;
  if (!index_.load(&warnings))
    log::warning("ring index " + index_.path() + " cannot be read (" + errno_text(errno) +
                 "); it is rebuilt from the files");
  for (const auto& w : warnings) log::warning(w);

  // Resume numbering after everything present, finished or not.
  std::map<std::uint64_t, ParsedName> parts;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    auto parsed = parse_ring_file_name(options_.id, entry.path().filename().string());
    if (!parsed) continue;
    if (!is_regular_at(dir_fd_.get(), entry.path().filename().string())) {
      // A symlink, FIFO or device under a ring file's name: never read, repaired or published.
      log::warning("skipping " + entry.path().filename().string() +
                   " in the ring directory: not a regular file (a symlink, FIFO or device)");
      continue;
    }
    next_seq_ = std::max(next_seq_, parsed->seq + 1);
    if (parsed->partial) parts[parsed->seq] = *parsed;
  }
  if (ec) throw ConfigError("output directory '" + dir + "' cannot be listed: " + ec.message());
  for (const auto& r : index_.records()) next_seq_ = std::max(next_seq_, r.sequence + 1);

  reconcile_index();
  for (const auto& [seq, parsed] : parts) {
    std::string name = part_file_name(ring_file_name(options_.id, seq, parsed.format));
    recover_part(name, seq, parsed.format);
  }
  save_index();
}

void Ring::reconcile_index() {
  // Entries whose file is gone (deleted by hand) leave the index...
  std::vector<std::uint64_t> gone;
  for (const auto& r : index_.records())
    if (!is_regular_at(dir_fd_.get(), r.file)) gone.push_back(r.sequence);
  for (auto seq : gone) index_.remove(seq);
  remove_orphan_flow_indexes();
  // ...and finished files the index does not know (a crash between rename and index
  // update, or an index lost) are scanned and added.
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(options_.directory, ec)) {
    std::string name = entry.path().filename().string();
    auto parsed = parse_ring_file_name(options_.id, name);
    if (!parsed || parsed->partial || index_.contains(parsed->seq)) continue;
    if (!is_regular_at(dir_fd_.get(), name)) continue;  // warned about while listing
    FileScan scan;
    std::string error;
    if (!scan_capture_at(dir_fd_.get(), name, &scan, &error)) {
      log::warning(name + ": not added to the ring index: " + error);
      continue;
    }
    if (scan.packets == 0) {  // as for a leftover .part: an empty file is not worth a ring slot
      log::warning("removing " + name + ": it holds no packets and the ring index does not know it");
      if (::unlinkat(dir_fd_.get(), name.c_str(), 0) != 0 && errno != ENOENT)
        log::error("cannot remove " + name + ": " + errno_text(errno));
      continue;
    }
    index_.add({name, parsed->seq, scan.first, scan.last, scan.packets, scan.file_bytes, 0});
  }
  // Flow indexes made or removed while the ring was stopped (index --rebuild) count from now
  // on. Files without one are not indexed here, which would hold up the start: `index
  // --rebuild` makes them on demand.
  std::vector<FileRecord> records = index_.records();
  for (auto& r : records) {
    std::uint64_t size = flow_index_size(dir_fd_.get(), r.file);
    if (size == r.flow_index_bytes) continue;
    index_.remove(r.sequence);
    r.flow_index_bytes = size;
    index_.add(r);
  }
}

void Ring::remove_orphan_flow_indexes() {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(options_.directory, ec)) {
    std::string name = entry.path().filename().string();
    auto owner = flow_index_owner(name);
    if (!owner || !parse_ring_file_name(options_.id, *owner) || is_regular_at(dir_fd_.get(), *owner)) continue;
    if (::unlinkat(dir_fd_.get(), name.c_str(), 0) != 0 && errno != ENOENT)
      log::warning("cannot remove " + name + ", whose file is gone: " + errno_text(errno));
  }
}

void Ring::recover_part(const std::string& part_name, std::uint64_t seq, FileFormat format) {
  std::string final_name = ring_file_name(options_.id, seq, format);
  std::string error;
  UniqueFd part_fd = open_regular_at(dir_fd_.get(), part_name, O_RDWR, &error);
  if (!part_fd.valid()) {
    log::warning("skipping leftover " + part_name + ": " + error + "; it is not repaired or published");
    return;
  }
  FileScan scan;
  bool usable = scan_capture_fd(part_fd.get(), &scan, &error);
  if (usable && (scan.header_bytes == 0 || scan.valid_bytes < scan.header_bytes)) {
    usable = false;
    error = "its file header is incomplete (" + std::to_string(scan.file_bytes) + " bytes)";
  }
  if (usable && scan.packets == 0) {
    // A start that crashed before any packet (a crash loop leaves one per start): kept, each
    // would count toward the file limit and push real captures out of the ring.
    usable = false;
    error = "it holds no packets";
  }
  if (!usable) {
    // Not even a whole file header, or no packet: nothing of value survived the crash.
    log::warning("removing leftover " + part_name + ": " + error);
    if (::unlinkat(dir_fd_.get(), part_name.c_str(), 0) != 0 && errno != ENOENT)
      log::error("cannot remove " + part_name + ": " + errno_text(errno));
    return;
  }
  if (!scan.complete()) {
    if (::ftruncate(part_fd.get(), static_cast<off_t>(scan.valid_bytes)) != 0) {
      log::error("cannot repair " + part_name + ": truncate: " + errno_text(errno));
      return;
    }
  }
  if (::fsync(part_fd.get()) != 0) log::warning(part_name + ": fsync: " + errno_text(errno));
  if (::renameat(dir_fd_.get(), part_name.c_str(), dir_fd_.get(), final_name.c_str()) != 0) {
    log::error("cannot finish recovered " + part_name + ": rename: " + errno_text(errno));
    return;
  }
  if (::fsync(dir_fd_.get()) != 0) log::warning("ring directory fsync: " + errno_text(errno));
  FileRecord record{final_name, seq, scan.first, scan.last, scan.packets, scan.valid_bytes, 0};
  if (options_.flow_index) {
    std::uint64_t size = index_ring_file(options_.directory, final_name, part_fd.get(), &error);
    if (size == 0) log::warning(final_name + ": no flow index: " + error);
    record.flow_index_bytes = size;
  }
  log::notice("recovered " + final_name + " after an unclean stop: " + std::to_string(scan.packets) +
              " packets" +
              (scan.complete() ? std::string()
                               : ", torn last record removed (" +
                                     std::to_string(scan.file_bytes - scan.valid_bytes) + " bytes)"));
  {
    std::lock_guard lock(state_mutex_);
    index_.add(record);
    ++keeper_counters_.files_recovered;
  }
  if (on_finished_) on_finished_(record);
}

void Ring::write_batch(RecordBatch& batch, std::size_t batches_waiting) {
  if (!batch.file_header.empty()) {
    if (live_fd_.valid()) finish_file(0);  // a file must not stay open across a new header
    begin_file(batch.file_header);
  }
  // Behind: indexing must not slow the writer down further; the publisher reads the rest of
  // this file back for the index (buffered: each chunk as it reaches the disk; direct I/O: the
  // rest when the file is finished). The count was taken before begin_file(), so a new file
  // that had to wait for room may start handed over: it then costs a read back, no loss.
  if (live_flows_ && batches_waiting >= kFlowIndexHandOver) flows_on_publisher_ = true;
  if (batch.payload_size() > 0 || batch.packets > 0) append(batch);
  if (batch.closes_file) {
    finish_file(batch.file_drops);
  } else if (!room_requested_ && options_.room_ahead && live_fd_.valid() && next_file_due_soon()) {
    // The keeper deletes what the next file needs room for now, so the rotation finds it made.
    room_requested_ = true;
    // Still to be written: the rest of the live file and the whole next one.
    const std::uint64_t to_come = live_size_limit_ - std::min(live_offset_, live_size_limit_) + live_size_limit_;
    keeper_->post([this, size = live_size_limit_, to_come, live = live_seq_] { make_room(2, size, to_come, live); });
  }
}

void Ring::flush() {
  publisher_->wait_idle();
  keeper_->wait_idle();
}

RingCounters Ring::counters() const {
  RingCounters c = writer_counters_;
  c.files_finished = keeper_counters_.files_finished;
  c.files_deleted = keeper_counters_.files_deleted;
  c.files_recovered = keeper_counters_.files_recovered;
  c.files_evicted = keeper_counters_.files_evicted;
  c.flow_indexes_reread = keeper_counters_.flow_indexes_reread;
  c.write_errors += keeper_counters_.write_errors;
  return c;
}

std::vector<FileRecord> Ring::finished_files() const {
  std::lock_guard lock(state_mutex_);
  return index_.records();
}

RetentionLimits Ring::current_limits(std::uint64_t* file_size_bytes) const {
  std::lock_guard lock(limits_mutex_);
  *file_size_bytes = options_.file_size_bytes;
  return options_.limits;
}

void Ring::begin_file(const std::vector<std::uint8_t>& header) {
  std::uint64_t file_size = 0;
  current_limits(&file_size);
  if (Room room = room_for_new_file(); room != Room::kFree) {
    // Room was not made ahead (a first file, a timed rotation, a reload, hooks holding
    // files), or only files still being published could make it: the new file waits.
    const auto started = std::chrono::steady_clock::now();
    if (room == Room::kAfterPublishing) publisher_->wait_idle();
    keeper_->post([this, file_size] { make_room(1, file_size, file_size); });
    keeper_->wait_idle();
    const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    // Packets wait in the kernel ring meanwhile: a long wait is worth a line (the first few,
    // then one in a hundred).
    if (waited.count() >= 10 && (writer_counters_.room_waits < 10 || writer_counters_.room_waits % 100 == 0))
      log::notice("a new file waited " + std::to_string(waited.count()) + " ms for room in the ring (" +
                  (room == Room::kAfterPublishing ? "files still being written to disk" : "deleting the oldest files") + ")");
    ++writer_counters_.room_waits;
  }
  writeback_started_ = 0;
  writeback_.reset();
  live_flows_.reset();
  flows_on_publisher_ = false;
  live_size_limit_ = file_size;
  live_started_ = std::chrono::steady_clock::now();
  room_requested_ = false;
  live_header_ = header;
  live_broken_ = false;
  for (;;) {
    live_name_ = ring_file_name(options_.id, next_seq_, options_.format);
    std::string part = part_file_name(live_name_);
    // Read and write: the publisher reads chunks back for the flow index when the writer
    // falls behind.
    live_fd_.reset(::openat(dir_fd_.get(), part.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640));
    if (live_fd_.valid()) break;
    int err = errno;
    if (err == EEXIST) {  // never overwrite: take the next number
      ++next_seq_;
      continue;
    }
    if ((err == ENOSPC || err == EDQUOT) && delete_oldest()) continue;
    ++writer_counters_.write_errors;
    log::error("cannot create " + live_name_ + ".part: " + errno_text(err) +
               "; packets are counted as lost until a file can be created");
    return;
  }
  live_seq_ = next_seq_++;
  live_offset_ = 0;
  live_record_ = FileRecord{live_name_, live_seq_, 0, 0, 0, 0, 0};
  if (int err = write_at_end(header.data(), header.size()); err != 0) {
    ++writer_counters_.write_errors;
    live_broken_ = true;
    log::error("cannot write the header of " + live_name_ + ".part: " + errno_text(err));
    return;
  }
  if (options_.flow_index) {
    live_flows_ = std::make_shared<FlowIndexBuilder>();
    live_flows_->feed(header.data(), header.size());
  }
  direct_fd_.reset();
  if (options_.direct_io && header.size() < kDirectIoAlign) {
    direct_fd_ = reopen_direct(dir_fd_.get(), part_file_name(live_name_), live_fd_.get());
    if (direct_fd_.valid()) {
      if (!tail_) tail_.reset(static_cast<std::uint8_t*>(std::aligned_alloc(kDirectIoAlign, kDirectIoAlign)));
      std::memcpy(tail_.get(), header.data(), header.size());
      tail_len_ = header.size();
      direct_offset_ = 0;
    }
  }
}

int Ring::append_direct(RecordBatch& batch) {
  // The recorder started the payload at the file's length modulo the alignment, so the
  // tail fits exactly in front of it and the whole run starts on a block boundary.
  if (batch.begin != tail_len_) return EINVAL;
  std::memcpy(batch.data.get(), tail_.get(), tail_len_);
  std::size_t total = batch.size;
  std::size_t aligned = total / kDirectIoAlign * kDirectIoAlign;
  // A short write leaves an unaligned offset, which O_DIRECT refuses: the caller then
  // continues the file buffered.
  if (int err = write_all(direct_fd_.get(), batch.data.get(), aligned, nullptr, direct_offset_); err != 0) return err;
  std::size_t rest = total - aligned;
  if (rest > 0) {
    // The new tail: kept for the next block write and written through the page cache now,
    // so the file holds every record within the flush interval.
    std::size_t written = 0;
    if (int err = write_all(live_fd_.get(), batch.data.get() + aligned, rest, &written, direct_offset_ + aligned);
        err != 0)
      return err;
    std::memcpy(tail_.get(), batch.data.get() + aligned, rest);
  }
  direct_offset_ += aligned;
  writer_counters_.direct_bytes += aligned;
  tail_len_ = rest;
  writer_counters_.bytes_written += batch.payload_size();
  live_offset_ = direct_offset_ + tail_len_;
  return 0;
}

int Ring::write_at_end(const std::uint8_t* data, std::size_t size) {
  for (;;) {
    std::size_t written = 0;
    int err = write_all(live_fd_.get(), data, size, &written, live_offset_);
    if (err == 0) {
      live_offset_ += size;
      writer_counters_.bytes_written += size;
      return 0;
    }
    // Cut a torn write back to the last whole record, so the file stays readable.
    if (written > 0 && ::ftruncate(live_fd_.get(), static_cast<off_t>(live_offset_)) != 0)
      log::error(live_name_ + ".part: ftruncate after a failed write: " + errno_text(errno));
    if ((err == ENOSPC || err == EDQUOT) && delete_oldest()) continue;
    return err;
  }
}

void Ring::append(RecordBatch& batch) {
  int err = EBADF;
  if (!live_fd_.valid() && !live_header_.empty()) {
    begin_file(live_header_);  // an earlier create failed: try again, the disk may have room now
  }
  if (live_fd_.valid() && !live_broken_ && direct_fd_.valid()) {
    std::uint64_t before = live_offset_;
    err = append_direct(batch);
    if (err != 0) {
      // Direct I/O failed (full disk, or a device that wants another alignment): this file
      // goes on through the page cache, from the last complete record.
      if (err != EINVAL || batch.begin == tail_len_)
        log::notice(live_name_ + ".part: direct write failed (" + errno_text(err) + "); continuing buffered");
      direct_fd_.reset();
      if (::ftruncate(live_fd_.get(), static_cast<off_t>(before)) != 0)
        log::error(live_name_ + ".part: ftruncate: " + errno_text(errno));
      live_offset_ = before;
      err = EBADF;
    }
  }
  if (live_fd_.valid() && !live_broken_ && !direct_fd_.valid() && err != 0) {
    err = write_at_end(batch.payload(), batch.payload_size());
    if (err == 0) write_behind();
  }
  if (err != 0) {
    writer_counters_.packets_lost += batch.packets;
    ++writer_counters_.write_errors;
    // The first few losses are logged one by one, then one line per thousand, so a full
    // disk is visible without flooding the journal.
    if (lost_reports_ < 10 || lost_reports_ % 1000 == 0)
      log::warning("lost " + std::to_string(batch.packets) + " packets writing " + live_name_ +
                   ".part: " + errno_text(err) + "; " + std::to_string(writer_counters_.packets_lost) +
                   " lost so far");
    ++lost_reports_;
    return;
  }
  // From the buffer just written, while it is still in the CPU's cache: reading the file back
  // later would copy every byte out of the page cache again.
  if (live_flows_ && !flows_on_publisher_) live_flows_->feed(batch.payload(), batch.payload_size());
  if (batch.packets > 0) {
    if (live_record_.packets == 0 || batch.first < live_record_.first) live_record_.first = batch.first;
    if (live_record_.packets == 0 || batch.last > live_record_.last) live_record_.last = batch.last;
    live_record_.packets += batch.packets;
    writer_counters_.packets_written += batch.packets;
  }
}

bool Ring::next_file_due_soon() const {
  if (live_size_limit_ == 0 || live_offset_ == 0) return false;
  if (live_offset_ >= live_size_limit_) return true;
  // The time the file still needs at the rate it is being written, against a few deletions'
  // time: an unlink of 100 MB took up to 175 ms here, and at 500 MB/s such a file is written
  // in 200 ms, while at 10 MB/s the room is made only in its last second or so.
  using namespace std::chrono;
  const auto elapsed = duration_cast<nanoseconds>(steady_clock::now() - live_started_).count();
  const double seconds_left = static_cast<double>(elapsed) * 1e-9 *
                              static_cast<double>(live_size_limit_ - live_offset_) / static_cast<double>(live_offset_);
  const double deletion = std::max(1e-9 * static_cast<double>(last_deletion_ns_.load()), 0.05);
  return seconds_left <= 4 * deletion;
}

void Ring::finish_file(std::uint64_t drops) {
  if (!live_fd_.valid()) return;
  if (live_broken_) {  // no header: not a capture file; nothing to publish
    live_fd_.reset();
    ::unlinkat(dir_fd_.get(), part_file_name(live_name_).c_str(), 0);
    return;
  }
  direct_fd_.reset();  // its blocks are on the device; the keeper's fsync covers metadata and the tail
  live_record_.bytes = live_offset_;
  live_record_.drops = drops;
  {
    std::lock_guard lock(state_mutex_);
    unpublished_.push_back(live_record_);
  }
  // The descriptor moves into the job: the keeper's fsync covers what this one wrote.
  auto fd = std::make_shared<UniqueFd>(std::move(live_fd_));
  publisher_->post([this, fd, record = live_record_, writeback = std::move(writeback_),
                    flows = std::move(live_flows_)] { publish(std::move(*fd), record, writeback, flows); });
}

void Ring::write_behind() {
  // Each whole 8 MiB chunk goes to the publisher, which sends it to the disk at once (the
  // kernel on its own starts only once gigabytes are dirty) and drops it from the page cache
  // once written. The writer itself never waits for the disk here: when the disk falls
  // behind, the page cache absorbs the burst until the kernel's dirty limit.
  while (live_offset_ - writeback_started_ >= kWriteBehindChunk) {
    const std::uint64_t offset = writeback_started_;
    writeback_started_ += kWriteBehindChunk;
    if (!writeback_) {
      auto state = std::make_shared<Writeback>();
      state->fd.reset(::fcntl(live_fd_.get(), F_DUPFD_CLOEXEC, 0));
      if (!state->fd.valid()) return;  // the kernel writes back on its own, and the fsync covers it
      writeback_ = std::move(state);
    }
    publisher_->post([state = writeback_, offset, flows = flows_on_publisher_ ? live_flows_ : nullptr] {
      settle(*state, offset, flows.get());
    });
  }
}

void Ring::settle(Writeback& writeback, std::uint64_t offset, FlowIndexBuilder* flows) {
  // Two chunks in flight: this one is started, the one before is waited for and dropped.
  // An error is kept for publish(), which then leaves the file .part like a failed fsync.
  const int fd = writeback.fd.get();
  const auto length = static_cast<off64_t>(kWriteBehindChunk);
  auto failed = [&] {
    int expected = 0;
    if (errno != ENOSYS && errno != EINVAL) writeback.error.compare_exchange_strong(expected, errno);
  };
  if (::sync_file_range(fd, static_cast<off64_t>(offset), length, SYNC_FILE_RANGE_WRITE) != 0) return failed();
  if (offset < kWriteBehindChunk) return;
  const auto previous = static_cast<off64_t>(offset - kWriteBehindChunk);
  if (::sync_file_range(fd, previous, length,
                        SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER) != 0)
    return failed();
  // Indexed while it is still in the page cache; then, on disk now, the cache need not keep
  // it, and other users of the machine keep theirs.
  if (flows) feed_flow_index_from(fd, *flows, static_cast<std::uint64_t>(previous + length));
  ::posix_fadvise(fd, previous, length, POSIX_FADV_DONTNEED);
}

bool Ring::feed_flow_index_from(int fd, FlowIndexBuilder& flows, std::uint64_t end) {
  constexpr std::size_t kPiece = 1 << 20;
  std::vector<std::uint8_t> piece;
  while (flows.bytes_fed() < end && !flows.failed()) {
    if (piece.empty()) piece.resize(kPiece);
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(kPiece, end - flows.bytes_fed()));
    const ssize_t n = ::pread(fd, piece.data(), want, static_cast<off_t>(flows.bytes_fed()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    flows.feed(piece.data(), static_cast<std::size_t>(n));
  }
  return !flows.failed();
}

std::optional<std::vector<std::uint8_t>> Ring::finish_flow_index(int fd, const FileRecord& record,
                                                                 FlowIndexBuilder* flows) {
  std::string why;
  if (flows && flows->failed()) {  // the bytes are not a capture file: reading them again would not help
    log::warning(record.file + ": no flow index: " + flows->error());
    return std::nullopt;
  }
  if (flows && flows->bytes_fed() <= record.bytes && feed_flow_index_from(fd, *flows, record.bytes) &&
      flows->bytes_fed() == record.bytes)
    return flows->finish();
  // Never fed, or the file could not be read from where it stopped: all of it, once more.
  if (flows) {
    ++keeper_counters_.flow_indexes_reread;
    log::notice(record.file + ": its flow index is built by reading the whole file again");
  }
  std::vector<std::uint8_t> index;
  if (build_flow_index_fd(fd, &index, &why)) return index;
  log::warning(record.file + ": no flow index: " + why + " (packet-capture index --rebuild makes one)");
  return std::nullopt;
}

void Ring::publish(UniqueFd fd, FileRecord record, std::shared_ptr<Writeback> writeback,
                   std::shared_ptr<FlowIndexBuilder> flows) {
  const std::string part_name = part_file_name(record.file);
  const std::string part = path_of(part_name);
  std::string failure;
  std::optional<std::vector<std::uint8_t>> index;
  if (int err = writeback ? writeback->error.load() : 0; err != 0) {
    failure = part_name + ": writing to disk: " + errno_text(err) + "; kept as .part until the next start";
  } else if (::fsync(fd.get()) != 0) {
    // Not known to be on disk: it is not published. It stays .part, and the next start
    // repairs and publishes what of it survived.
    failure = part_name + ": fsync: " + errno_text(errno) + "; kept as .part until the next start";
  } else {
    if (options_.flow_index) {
      // A read-only descriptor of its own: the index is read back from the name being published.
      std::string why;
      UniqueFd reader = open_regular_at(dir_fd_.get(), part_name, O_RDONLY, &why);
      if (reader.valid()) index = finish_flow_index(reader.get(), record, flows.get());
      else log::warning(record.file + ": no flow index: " + why);
    }
    ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_DONTNEED);  // the rest of it, on disk now
    if (int close_err = fd.close_checked(); close_err != 0) log::error(part_name + ": close: " + errno_text(close_err));
  }
  if (failure.empty() && ::renameat(dir_fd_.get(), part_name.c_str(), dir_fd_.get(), record.file.c_str()) != 0)
    failure = "cannot finish " + record.file + ": rename: " + errno_text(errno) +
              " (it stays .part and is recovered at the next start)";
  if (failure.empty() && index) {
    // Written before the file enters the index, so the budget counts it from the start.
    if (int err = write_flow_index(options_.directory, record.file, *index); err != 0)
      log::warning(record.file + ": cannot write its flow index: " + errno_text(err));
    else
      record.flow_index_bytes = index->size();
  }
  {
    std::lock_guard lock(state_mutex_);
    std::erase_if(unpublished_, [&](const FileRecord& r) { return r.sequence == record.sequence; });
    if (failure.empty()) {
      index_.add(record);
      ++keeper_counters_.files_finished;
    } else {
      ++keeper_counters_.write_errors;
    }
  }
  if (!failure.empty()) {
    log::error(failure, {{"PCAP_FILE", part}});
    return;
  }
  save_index();
  // One directory fsync makes both renames durable (the file's and the index's) before
  // any hook hears of the file.
  if (::fsync(dir_fd_.get()) != 0) log::warning("ring directory fsync: " + errno_text(errno));
  if (on_finished_) on_finished_(record);
}

void Ring::set_limits(const RetentionLimits& limits, std::uint64_t file_size_bytes) {
  {
    std::lock_guard lock(limits_mutex_);
    options_.limits = limits;
    options_.file_size_bytes = file_size_bytes;
  }
  keeper_->post([this, file_size_bytes] { make_room(1, file_size_bytes, file_size_bytes); });
}

Ring::Room Ring::room_for_new_file() {
  std::uint64_t file_size = 0;
  RetentionLimits limits = current_limits(&file_size);
  std::vector<FileRecord> finished;
  std::uint64_t unfinished = 1;
  std::uint64_t unfinished_bytes = file_size;
  {
    // A copy: the hooks are asked below, without the lock, which the keeper also needs.
    std::lock_guard lock(state_mutex_);
    finished = index_.records();
    unfinished += unpublished_.size();
    for (const auto& r : unpublished_) unfinished_bytes += r.bytes;
  }
  auto victims = select_for_deletion(finished, limits, unfinished, unfinished_bytes, hook_state_);
  // Over the limits even after those deletions: files still being published may be
  // deletable once they are.
  std::uint64_t count = finished.size() + unfinished - victims.size();
  std::uint64_t bytes = unfinished_bytes;
  for (const auto& r : finished)
    if (std::none_of(victims.begin(), victims.end(), [&](const Deletion& d) { return d.sequence == r.sequence; }))
      bytes += r.bytes;
  bool over = count > limits.file_limit || (limits.max_bytes != 0 && bytes > limits.max_bytes);
  if (over && unfinished > 1) return Room::kAfterPublishing;
  if (!victims.empty()) return Room::kAfterDeletion;
  if (limits.min_free_bytes == 0) return Room::kFree;
  struct statvfs fs {};
  if (::fstatvfs(dir_fd_.get(), &fs) != 0) return Room::kAfterDeletion;  // the keeper reports it
  bool enough = static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize >= limits.min_free_bytes + file_size;
  return enough ? Room::kFree : Room::kAfterDeletion;
}

void Ring::make_room(std::uint64_t unfinished, std::uint64_t file_size_each, std::uint64_t bytes_to_come,
                     std::uint64_t counted_live) {
  std::uint64_t file_size = 0;
  RetentionLimits limits = current_limits(&file_size);
  std::uint64_t unfinished_bytes = 0;
  std::vector<FileRecord> finished;
  {
    // A copy: the hooks are asked below, without the lock. Only this thread deletes, so the
    // files chosen stay in the index until it removes them.
    std::lock_guard lock(state_mutex_);
    // The live file may have been finished meanwhile: it is then counted where it is now.
    if (unfinished > 0 && index_.contains(counted_live)) --unfinished;
    unfinished_bytes = unfinished * file_size_each;
    for (const auto& r : unpublished_) {
      if (r.sequence == counted_live) continue;  // already among the `unfinished`
      ++unfinished;
      unfinished_bytes += r.bytes;
    }
    finished = index_.records();
  }
  std::vector<FileRecord> victims;
  for (auto [seq, evicted] : select_for_deletion(finished, limits, unfinished, unfinished_bytes, hook_state_))
    for (const auto& r : finished)
      if (r.sequence == seq) victims.push_back(r);
  bool changed = false;
  for (const auto& victim : victims) {
    HookClaim c = claim(victim.sequence);
    if (c == HookClaim::kRefused) continue;  // a hook started on it meanwhile
    if (!delete_finished(victim, c, "cannot delete " + victim.file + " beyond the ring's limits")) continue;
    changed = true;
    if (c == HookClaim::kEvictedJob)
      log::warning("hook backlog over budget: deleted " + victim.file + " before all its hooks ran",
                   {{"PCAP_FILE", path_of(victim.file)}});
  }
  if (changed) save_index();
  // The file system's own free space: other writers share it, so it is asked, not computed.
  while (limits.min_free_bytes) {
    struct statvfs fs {};
    if (::fstatvfs(dir_fd_.get(), &fs) != 0) {
      log::warning("cannot read the free space of the ring's file system: " + errno_text(errno));
      break;
    }
    std::uint64_t free_bytes = static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
    if (free_bytes >= limits.min_free_bytes + bytes_to_come) break;
    if (!delete_oldest_now("below the minimum free space")) break;
  }
}

bool Ring::delete_oldest(const char* why) {
  bool freed = false;
  keeper_->post([this, why, &freed] { freed = delete_oldest_now(why); });
  keeper_->wait_idle();
  return freed;
}

bool Ring::delete_finished(const FileRecord& file, HookClaim claimed, const std::string& failure) {
  const auto started = std::chrono::steady_clock::now();
  if (::unlinkat(dir_fd_.get(), file.file.c_str(), 0) != 0 && errno != ENOENT) {
    log::error(failure + ": " + errno_text(errno));
    return false;
  }
  last_deletion_ns_ =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - started).count();
  const std::string flows = flow_index_file_name(file.file);
  if (::unlinkat(dir_fd_.get(), flows.c_str(), 0) != 0 && errno != ENOENT)
    log::warning("cannot delete " + flows + ": " + errno_text(errno));
  std::lock_guard lock(state_mutex_);
  index_.remove(file.sequence);
  ++keeper_counters_.files_deleted;
  if (claimed == HookClaim::kEvictedJob) ++keeper_counters_.files_evicted;
  return true;
}

bool Ring::delete_oldest_now(const char* why) {
  // The oldest file no hook is reading; one waiting for hooks counts as evicted.
  std::optional<FileRecord> oldest;
  HookClaim c = HookClaim::kNoJob;
  for (const auto& r : finished_files()) {  // the hooks are asked without the lock
    c = claim(r.sequence);
    if (c == HookClaim::kRefused) continue;
    oldest = r;
    break;
  }
  if (!oldest) return false;
  bool waiting = c == HookClaim::kEvictedJob;
  if (!delete_finished(*oldest, c, "disk full and cannot delete " + oldest->file)) return false;
  log::warning(std::string(why) + ": deleted the oldest file " + oldest->file + " to make room" +
               (waiting ? " (its hooks had not all run)" : ""));
  save_index();
  return true;
}

void Ring::save_index() {
  // Written outside the state lock, so the writer thread never waits for this fsync; the
  // save lock keeps an older snapshot from overwriting a newer one.
  std::lock_guard save_lock(save_mutex_);
  std::string text;
  {
    std::lock_guard lock(state_mutex_);
    text = index_.text();
  }
  if (int err = write_file_atomically(index_.path(), text); err != 0)
    log::warning("cannot save the ring index " + index_.path() + ": " + errno_text(err) +
                 " (it is rebuilt from the files at the next start)");
}

}  // namespace pcap_ring
