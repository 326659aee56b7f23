// The ring directory and its files: opens "<name>.part", appends batches, publishes a
// finished file by fsync + rename, keeps the index, deletes the oldest files (unlink, never
// truncate) beyond the file limit and byte budget, and repairs what a crash left behind.
// Disk errors are logged and counted here, and a full disk costs packets, never the process.
//
// Three threads share the work. The writer thread calls write_batch() and only creates files
// and writes to them. The publisher thread waits for what was written to reach the disk
// (write-behind), then fsyncs, renames and announces each finished file. The keeper thread
// deletes old files. An fsync, or an unlink (tens of milliseconds on a file system mounted
// with discard), then never holds up the path from the kernel ring to the disk. Room for
// the next file is made shortly before the current one is finished (how shortly follows the
// write rate and the time deletions take), so a new file starts at once and the ring still
// never holds more files or bytes than its limits.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "format/pcap_format.h"
#include "ring/record_batch.h"
#include "ring/retention.h"
#include "ring/ring_index.h"
#include "ring/ring_names.h"
#include "common/serial_worker.h"
#include "common/unique_fd.h"
#include "flows/flow_index_builder.h"

namespace pcap_ring {

struct RingOptions {
  std::string directory;
  RingId id;
  FileFormat format = FileFormat::kPcap;
  RetentionLimits limits;
  std::uint64_t file_size_bytes = 25'000'000;
  // Write whole aligned blocks with O_DIRECT where the file system supports it: no copy into
  // the page cache, but one write in flight at a time and no room for a burst beyond the
  // batches. Falls back to buffered writes per file. Off: write-behind through the page
  // cache, which keeps the disk busy with several writes and absorbs bursts.
  bool direct_io = false;
  // Build each file's flow index (".<name>.flows") as it is written: the writer feeds it the
  // bytes it has just written, from its own buffer, and the publisher serializes it. When the
  // writer falls behind, the publisher reads the rest of that file back for it instead.
  bool flow_index = false;
  // Live capture: room for the next file is made while the current one is still being
  // written, so a rotation never waits for an unlink (packets would pile up in the kernel
  // meanwhile). Reading a file, nothing is lost by waiting, and the ring keeps one file more.
  bool room_ahead = true;
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
  // Flow indexes built by reading the whole file again, because what the writer and the
  // publisher fed them could not be completed (a read error): each one a second full read,
  // logged with the file's name.
  std::uint64_t flow_indexes_reread = 0;
  std::uint64_t direct_bytes = 0;   // written with O_DIRECT
  // New files that had to wait for the keeper to delete old ones first (room was not made
  // while the previous file was written: short files, timed rotation, a reload).
  std::uint64_t room_waits = 0;
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
  // `batches_waiting`: how many more are queued behind it; a writer that far behind leaves
  // the rest of the live file's flow index to the publisher.
  void write_batch(RecordBatch& batch, std::size_t batches_waiting = 0);
  // Waits until every file finished so far is published and every deletion is done.
  void flush();

  // Called with each file that became final (rotation, stop, crash recovery), on the keeper
  // thread (or in open()).
  void set_on_finished(std::function<void(const FileRecord&)> callback) { on_finished_ = std::move(callback); }

  // Lets retention keep files the hook pipeline still needs: `state` to choose, `claim` to
  // commit a deletion (refused while a hook runs on the file). Set before open().
  void set_hook_state(std::function<HookState(std::uint64_t)> state,
                      std::function<HookClaim(std::uint64_t)> claim) {
    hook_state_ = std::move(state);
    hook_claim_ = std::move(claim);
  }

  // Configuration reload, from any thread: files beyond the new limits are deleted at once.
  void set_limits(const RetentionLimits& limits, std::uint64_t file_size_bytes);

  // Writer thread (and any thread once it has stopped).
  RingCounters counters() const;
  // Any thread.
  std::vector<FileRecord> finished_files() const;
  // Writer thread.
  std::uint64_t next_sequence() const { return next_seq_; }
  // Name of the file being written ("" when none is open).
  std::string live_file() const;

 private:
  // The live file's write-behind, shared with the publisher's jobs: one descriptor for all of
  // them, and the first writeback error, which keeps the file from being published (a
  // sync_file_range that reports an error clears it for a later fsync on the same file).
  struct Writeback {
    UniqueFd fd;
    std::atomic<int> error{0};
  };
  void begin_file(const std::vector<std::uint8_t>& header);
  void append(RecordBatch& batch);
  int append_direct(RecordBatch& batch);  // 0, or errno after which the file is buffered
  void finish_file(std::uint64_t drops);
  void recover_part(const std::string& name, std::uint64_t seq, FileFormat format);
  void reconcile_index();
  // Start-up: flow indexes whose file is gone (deleted by hand, or a crash between the two
  // unlinks) are removed.
  void remove_orphan_flow_indexes();
  // Writer thread: what a new file must wait for to fit the limits.
  enum class Room { kFree, kAfterDeletion, kAfterPublishing };
  Room room_for_new_file();
  // Writer thread, buffered writes: starts writeback of each whole chunk at once, and has the
  // publisher wait for it and drop it from the page cache.
  void write_behind();
  // Writer thread: whether the live file, at the rate it is being written, is finished within
  // a few deletions' time.
  bool next_file_due_soon() const;
  // Writer thread: frees room (full disk); false when nothing is left to delete.
  bool delete_oldest(const char* why = "disk full");
  int write_at_end(const std::uint8_t* data, std::size_t size);
  RetentionLimits current_limits(std::uint64_t* file_size_bytes) const;

  // Publisher thread. `flows`, when the index was handed over, is fed what is written (buffered
  // writes only: with direct I/O there is no write-behind, and publish() reads the rest).
  static void settle(Writeback& writeback, std::uint64_t offset, FlowIndexBuilder* flows);
  // Publisher thread: feeds `flows` the file's bytes from where it stopped up to `end` (read
  // back with pread, from the page cache while they are still there); false if it cannot.
  static bool feed_flow_index_from(int fd, FlowIndexBuilder& flows, std::uint64_t end);
  // Publisher thread: the finished file's flow index, from what `flows` was fed and the rest
  // read back from the file (all of it without `flows`); nothing when it cannot be built.
  std::optional<std::vector<std::uint8_t>> finish_flow_index(int fd, const FileRecord& record, FlowIndexBuilder* flows);
  static constexpr std::uint64_t kWriteBehindChunk = 8 << 20;
  void publish(UniqueFd fd, FileRecord record, std::shared_ptr<Writeback> writeback,
               std::shared_ptr<FlowIndexBuilder> flows);
  // Keeper thread.
  // Deletes the oldest files until `unfinished` more files of `file_size_each` bytes (the
  // live file, the next one) fit the limits beside the files not yet published, of which
  // `counted_live` is one of the `unfinished` (if it is still unpublished), and until the
  // file system has the minimum free space plus the `bytes_to_come` not yet written.
  void make_room(std::uint64_t unfinished, std::uint64_t file_size_each, std::uint64_t bytes_to_come,
                 std::uint64_t counted_live = UINT64_MAX);
  bool delete_oldest_now(const char* why);
  // Unlinks a finished file the hooks gave up (`claimed`), times the unlink for
  // next_file_due_soon() and takes the file out of the index; false (logged with
  // `failure`) when it cannot be deleted.
  bool delete_finished(const FileRecord& file, HookClaim claimed, const std::string& failure);
  void save_index();
  std::string path_of(const std::string& name) const { return options_.directory + "/" + name; }

  RingOptions options_;
  mutable std::mutex limits_mutex_;  // guards options_.limits and file_size_bytes after open()
  // Guards index_ and unpublished_: the publisher and the keeper change them, the writer
  // reads them to decide whether a new file may start. Never held while calling the hooks.
  mutable std::mutex state_mutex_;
  RingIndex index_;
  RingCounters writer_counters_;  // bytes and packets: writer thread only
  // Files finished, deleted, recovered and evicted, and publish errors: counted by the
  // publisher and the keeper, read by the writer without taking a lock.
  struct SharedCounters {
    std::atomic<std::uint64_t> files_finished{0}, files_deleted{0}, files_recovered{0}, files_evicted{0},
        flow_indexes_reread{0},
        write_errors{0};
  } keeper_counters_;
  std::vector<FileRecord> unpublished_;  // handed to the keeper, not yet in the index
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
  std::uint64_t live_size_limit_ = 0;  // the file size limit when the live file began
  bool room_requested_ = false;        // room for the next file was asked of the keeper
  std::chrono::steady_clock::time_point live_started_;
  std::atomic<std::int64_t> last_deletion_ns_{0};  // the keeper's last unlink
  std::uint64_t writeback_started_ = 0;  // buffered writes: bytes of the live file sent to the disk
  std::shared_ptr<Writeback> writeback_;
  // The live file's flow index: fed by the writer every byte written to the file, in order
  // (never a batch a failed write left out), until the writer falls behind; from then on
  // (flows_on_publisher_) only the publisher's jobs touch it, feeding it from the file.
  std::shared_ptr<FlowIndexBuilder> live_flows_;
  bool flows_on_publisher_ = false;
  // Batches waiting behind the one being written at which the index goes to the publisher:
  // a few megabytes, well before the pool of batches runs out.
  static constexpr std::size_t kFlowIndexHandOver = 4;

  std::function<void(const FileRecord&)> on_finished_;
  std::function<HookState(std::uint64_t)> hook_state_;
  std::function<HookClaim(std::uint64_t)> hook_claim_;
  HookClaim claim(std::uint64_t seq) { return hook_claim_ ? hook_claim_(seq) : HookClaim::kNoJob; }
  std::uint64_t lost_reports_ = 0;
  std::mutex save_mutex_;  // index saves from the publisher and the keeper, one at a time
  // Last: their threads stop (finishing what is queued) before the members they use go away.
  std::unique_ptr<SerialWorker> publisher_ = std::make_unique<SerialWorker>("pc-publisher");
  std::unique_ptr<SerialWorker> keeper_ = std::make_unique<SerialWorker>("pc-keeper");
};

}  // namespace pcap_ring
