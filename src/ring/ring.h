// The ring directory and its files: opens "<name>.part", appends batches, publishes a
// finished file by flush + fsync + rename, keeps the index, deletes the oldest files
// (unlink, never truncate) beyond the file limit and byte budget, and repairs what a crash
// left behind. Runs on the writer thread only; disk errors are logged and counted here,
// and a full disk costs packets, never the process.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "format/pcap_format.h"
#include "ring/record_batch.h"
#include "ring/retention.h"
#include "ring/ring_index.h"
#include "ring/ring_names.h"
#include "common/unique_fd.h"

namespace pcap_ring {

struct RingOptions {
  std::string directory;
  RingId id;
  FileFormat format = FileFormat::kPcap;
  RetentionLimits limits;
  std::uint64_t file_size_bytes = 25'000'000;
  // Write whole aligned blocks with O_DIRECT where the file system supports it: no copy into
  // the page cache and no cache to reclaim. Falls back to buffered writes per file.
  bool direct_io = true;
};

struct RingCounters {
  std::uint64_t files_finished = 0;
  std::uint64_t files_deleted = 0;
  std::uint64_t files_recovered = 0;
  std::uint64_t bytes_written = 0;
  std::uint64_t packets_written = 0;
  std::uint64_t packets_lost = 0;  // to write errors (ENOSPC, EIO) after deleting all it could
  std::uint64_t write_errors = 0;
  std::uint64_t files_evicted = 0;  // deleted while hooks were still pending for them
  std::uint64_t direct_bytes = 0;   // written with O_DIRECT
};

class Ring {
 public:
  explicit Ring(RingOptions options);
  ~Ring();
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;

  // Start-up: creates the directory if needed, takes the ring's lock, loads the index,
  // repairs leftover .part files and reconciles the index with the files present.
  // Throws StartupError when the directory cannot be used.
  void open();

  // Writer thread: one batch (opens/finishes files as the batch says). The bytes before
  // the batch's payload may be overwritten (direct I/O puts the file's tail there).
  void write_batch(RecordBatch& batch);

  // Called with each file that became final (rotation, stop, crash recovery).
  void set_on_finished(std::function<void(const FileRecord&)> callback) { on_finished_ = std::move(callback); }

  // Lets retention keep files the hook pipeline still needs: `state` to choose, `claim` to
  // commit a deletion (refused while a hook runs on the file). Set before open().
  void set_hook_state(std::function<HookState(std::uint64_t)> state,
                      std::function<HookClaim(std::uint64_t)> claim) {
    hook_state_ = std::move(state);
    hook_claim_ = std::move(claim);
  }

  // Configuration reload, from any thread: applies at the next retention decision.
  void set_limits(const RetentionLimits& limits, std::uint64_t file_size_bytes);

  const RingCounters& counters() const { return counters_; }
  const RingIndex& index() const { return index_; }
  std::uint64_t next_sequence() const { return next_seq_; }
  // Name of the file being written ("" when none is open).
  std::string live_file() const;

 private:
  void begin_file(const std::vector<std::uint8_t>& header);
  void append(RecordBatch& batch);
  int append_direct(RecordBatch& batch);  // 0, or errno after which the file is buffered
  void finish_file(std::uint64_t drops);
  void recover_part(const std::string& name, std::uint64_t seq, FileFormat format);
  void reconcile_index();
  void enforce_retention(bool live_file, std::uint64_t live_bytes);
  // Frees room (full disk, minimum free space); false when nothing is left to delete.
  bool delete_oldest(const char* why = "disk full");
  int write_at_end(const std::uint8_t* data, std::size_t size);
  void save_index();
  std::string path_of(const std::string& name) const { return options_.directory + "/" + name; }

  RingOptions options_;
  mutable std::mutex limits_mutex_;  // guards options_.limits and file_size_bytes after open()
  RingIndex index_;
  RingCounters counters_;
  UniqueFd dir_fd_;
  UniqueFd lock_fd_;
  std::uint64_t next_seq_ = 0;

  // The live file.
  UniqueFd live_fd_;
  // Direct I/O: the O_DIRECT descriptor of the live file, the aligned offset it has written
  // up to, and the bytes after it (also written, buffered, so readers see them at once).
  UniqueFd direct_fd_;
  std::uint64_t direct_offset_ = 0;
  std::unique_ptr<std::uint8_t, AlignedFree> tail_;
  std::size_t tail_len_ = 0;
  std::string live_name_;  // final name, without .part
  std::uint64_t live_seq_ = 0;
  std::uint64_t live_offset_ = 0;
  std::vector<std::uint8_t> live_header_;
  bool live_broken_ = false;  // its header could not be written: later records are dropped
  FileRecord live_record_;

  std::function<void(const FileRecord&)> on_finished_;
  std::function<HookState(std::uint64_t)> hook_state_;
  std::function<HookClaim(std::uint64_t)> hook_claim_;
  HookClaim claim(std::uint64_t seq) { return hook_claim_ ? hook_claim_(seq) : HookClaim::kNoJob; }
  std::uint64_t lost_reports_ = 0;
};

}  // namespace pcap_ring
