#include "ring/ring.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <cerrno>
#include <filesystem>
#include <map>

#include "common/exit_codes.h"
#include "format/capture_scanner.h"
#include "common/log.h"
#include "common/safe_open.h"
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
  log::notice("recovered " + final_name + " after an unclean stop: " + std::to_string(scan.packets) +
              " packets" +
              (scan.complete() ? std::string()
                               : ", torn last record removed (" +
                                     std::to_string(scan.file_bytes - scan.valid_bytes) + " bytes)"));
  index_.add(record);
  ++counters_.files_recovered;
  if (on_finished_) on_finished_(record);
}

void Ring::write_batch(RecordBatch& batch) {
  if (!batch.file_header.empty()) {
    if (live_fd_.valid()) finish_file(0);  // a file must not stay open across a new header
    begin_file(batch.file_header);
  }
  if (batch.payload_size() > 0 || batch.packets > 0) append(batch);
  if (batch.closes_file) finish_file(batch.file_drops);
}

void Ring::begin_file(const std::vector<std::uint8_t>& header) {
  enforce_retention(/*live_file=*/true, /*live_bytes: the current file size limit*/ 1);
  live_header_ = header;
  live_broken_ = false;
  for (;;) {
    live_name_ = ring_file_name(options_.id, next_seq_, options_.format);
    std::string part = part_file_name(live_name_);
    live_fd_.reset(::openat(dir_fd_.get(), part.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640));
    if (live_fd_.valid()) break;
    int err = errno;
    if (err == EEXIST) {  // never overwrite: take the next number
      ++next_seq_;
      continue;
    }
    if ((err == ENOSPC || err == EDQUOT) && delete_oldest()) continue;
    ++counters_.write_errors;
    log::error("cannot create " + live_name_ + ".part: " + errno_text(err) +
               "; packets are counted as lost until a file can be created");
    return;
  }
  live_seq_ = next_seq_++;
  live_offset_ = 0;
  live_record_ = FileRecord{live_name_, live_seq_, 0, 0, 0, 0, 0};
  if (int err = write_at_end(header.data(), header.size()); err != 0) {
    ++counters_.write_errors;
    live_broken_ = true;
    log::error("cannot write the header of " + live_name_ + ".part: " + errno_text(err));
    return;
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
  counters_.direct_bytes += aligned;
  tail_len_ = rest;
  counters_.bytes_written += batch.payload_size();
  live_offset_ = direct_offset_ + tail_len_;
  return 0;
}

int Ring::write_at_end(const std::uint8_t* data, std::size_t size) {
  for (;;) {
    std::size_t written = 0;
    int err = write_all(live_fd_.get(), data, size, &written, live_offset_);
    if (err == 0) {
      live_offset_ += size;
      counters_.bytes_written += size;
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
  if (live_fd_.valid() && !live_broken_ && !direct_fd_.valid() && err != 0)
    err = write_at_end(batch.payload(), batch.payload_size());
  if (err != 0) {
    counters_.packets_lost += batch.packets;
    ++counters_.write_errors;
    // The first few losses are logged one by one, then one line per thousand, so a full
    // disk is visible without flooding the journal.
    if (lost_reports_ < 10 || lost_reports_ % 1000 == 0)
      log::warning("lost " + std::to_string(batch.packets) + " packets writing " + live_name_ +
                   ".part: " + errno_text(err) + "; " + std::to_string(counters_.packets_lost) +
                   " lost so far");
    ++lost_reports_;
    return;
  }
  if (batch.packets > 0) {
    if (live_record_.packets == 0) live_record_.first = batch.first;
    live_record_.last = batch.last;
    live_record_.packets += batch.packets;
    counters_.packets_written += batch.packets;
  }
}

void Ring::finish_file(std::uint64_t drops) {
  if (!live_fd_.valid()) return;
  std::string part = path_of(part_file_name(live_name_));
  std::string part_name = part_file_name(live_name_);
  if (live_broken_) {  // no header: not a capture file; nothing to publish
    live_fd_.reset();
    ::unlinkat(dir_fd_.get(), part_name.c_str(), 0);
    return;
  }
  direct_fd_.reset();  // its blocks are on the device; fsync below covers metadata and the tail
  if (::fsync(live_fd_.get()) != 0) {
    // Not known to be on disk: it is not published. It stays .part, and the next start
    // repairs and publishes what of it survived.
    ++counters_.write_errors;
    log::error(live_name_ + ".part: fsync: " + errno_text(errno) + "; kept as .part until the next start",
               {{"PCAP_FILE", part}});
    live_fd_.reset();
    return;
  }
  if (int err = live_fd_.close_checked(); err != 0) {
    ++counters_.write_errors;
    log::error(live_name_ + ".part: close: " + errno_text(err));
  }
  if (::renameat(dir_fd_.get(), part_name.c_str(), dir_fd_.get(), live_name_.c_str()) != 0) {
    ++counters_.write_errors;
    log::error("cannot finish " + live_name_ + ": rename: " + errno_text(errno) +
               " (it stays .part and is recovered at the next start)");
    return;
  }
  if (::fsync(dir_fd_.get()) != 0) log::warning("ring directory fsync: " + errno_text(errno));
  live_record_.bytes = live_offset_;
  live_record_.drops = drops;
  index_.add(live_record_);
  save_index();
  ++counters_.files_finished;
  if (on_finished_) on_finished_(live_record_);
  enforce_retention(/*live_file=*/false, 0);
}

void Ring::set_limits(const RetentionLimits& limits, std::uint64_t file_size_bytes) {
  std::lock_guard lock(limits_mutex_);
  options_.limits = limits;
  options_.file_size_bytes = file_size_bytes;
}

void Ring::enforce_retention(bool live_file, std::uint64_t live_bytes) {
  RetentionLimits limits;
  {
    std::lock_guard lock(limits_mutex_);
    limits = options_.limits;
    if (live_bytes) live_bytes = options_.file_size_bytes;
  }
  auto victims = select_for_deletion(index_.records(), limits, live_file, live_bytes, hook_state_);
  bool changed = !victims.empty();
  for (auto [seq, evicted] : victims) {
    auto it = std::find_if(index_.records().begin(), index_.records().end(),
                           [seq = seq](const FileRecord& r) { return r.sequence == seq; });
    if (it == index_.records().end()) continue;
    std::string name = it->file;
    HookClaim c = claim(seq);
    if (c == HookClaim::kRefused) continue;  // a hook started on it meanwhile
    if (::unlinkat(dir_fd_.get(), name.c_str(), 0) != 0 && errno != ENOENT) {
      log::error("cannot delete " + name + " beyond the ring's limits: " + errno_text(errno));
      continue;
    }
    index_.remove(seq);
    ++counters_.files_deleted;
    if (c == HookClaim::kEvictedJob) {
      ++counters_.files_evicted;
      log::warning("hook backlog over budget: deleted " + name + " before all its hooks ran",
                   {{"PCAP_FILE", path_of(name)}});
    }
  }
  // The file system's own free space: other writers share it, so it is asked, not computed.
  if (limits.min_free_bytes) {
    for (;;) {
      struct statvfs fs {};
      if (::fstatvfs(dir_fd_.get(), &fs) != 0) {
        log::warning("cannot read the free space of the ring's file system: " + errno_text(errno));
        break;
      }
      std::uint64_t free_bytes = static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
      if (free_bytes >= limits.min_free_bytes + live_bytes) break;
      if (!delete_oldest("below the minimum free space")) break;
      changed = true;
    }
  }
  if (changed) save_index();
}

bool Ring::delete_oldest(const char* why) {
  // The oldest file no hook is reading; one waiting for hooks counts as evicted.
  const FileRecord* pick = nullptr;
  HookClaim c = HookClaim::kNoJob;
  for (const auto& r : index_.records()) {
    c = claim(r.sequence);
    if (c == HookClaim::kRefused) continue;
    pick = &r;
    break;
  }
  if (!pick) return false;
  FileRecord oldest = *pick;
  bool waiting = c == HookClaim::kEvictedJob;
  if (::unlinkat(dir_fd_.get(), oldest.file.c_str(), 0) != 0 && errno != ENOENT) {
    log::error("disk full and cannot delete " + oldest.file + ": " + errno_text(errno));
    return false;
  }
  index_.remove(oldest.sequence);
  ++counters_.files_deleted;
  log::warning(std::string(why) + ": deleted the oldest file " + oldest.file + " to make room" +
               (waiting ? " (its hooks had not all run)" : ""));
  if (waiting) ++counters_.files_evicted;
  save_index();
  return true;
}

void Ring::save_index() {
  if (int err = index_.save(); err != 0)
    log::warning("cannot save the ring index " + index_.path() + ": " + errno_text(err) +
                 " (it is rebuilt from the files at the next start)");
}

}  // namespace pcap_ring
