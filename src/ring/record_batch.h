// Large blocks of encoded records passed from the capture thread to the writer thread.
// A fixed pool of batches circulates between the two, which bounds memory: when the writer
// falls behind, the capture thread waits and the kernel ring absorbs (and counts) the rest.
#pragma once

#include <condition_variable>
#include <cstdlib>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "common/timestamp.h"

namespace pcap_ring {

// Direct I/O (O_DIRECT) needs buffers, lengths and file offsets aligned to the device's
// block size; 4096 covers every common device.
inline constexpr std::size_t kDirectIoAlign = 4096;

struct AlignedFree {
  void operator()(std::uint8_t* p) const { std::free(p); }
};

struct RecordBatch {
  explicit RecordBatch(std::size_t bytes);

  std::unique_ptr<std::uint8_t, AlignedFree> data;  // kDirectIoAlign-aligned
  std::size_t capacity;
  // The payload is [begin, size). The bytes before `begin` are room for the writer to put the
  // file's unaligned tail in front of the payload, so that it can write whole aligned blocks
  // straight from this buffer: `begin` is the file's length modulo kDirectIoAlign when the
  // batch was started.
  std::size_t begin = 0;
  std::size_t size = 0;
  std::uint64_t packets = 0;
  NanoTime first = 0;
  NanoTime last = 0;
  // Non-empty: a new file starts with this header before `data` is written to it.
  std::vector<std::uint8_t> file_header;
  // The file is finished after `data` (which then ends with the file trailer, if any).
  bool closes_file = false;
  std::uint64_t file_drops = 0;  // kernel drops while the file was written (closes_file)
  bool end_of_stream = false;    // nothing follows: the writer stops after this batch

  std::size_t room() const { return capacity - size; }
  std::size_t payload_size() const { return size - begin; }
  const std::uint8_t* payload() const { return data.get() + begin; }
  void clear();
};

class BatchQueue {
 public:
  BatchQueue(std::size_t batch_count, std::size_t batch_capacity);

  // Producer side. acquire() waits for a free batch.
  std::unique_ptr<RecordBatch> acquire();
  void submit(std::unique_ptr<RecordBatch> batch);

  // Consumer side. next() waits for a submitted batch; release() returns it to the pool.
  std::unique_ptr<RecordBatch> next();
  void release(std::unique_ptr<RecordBatch> batch);

  std::size_t batch_capacity() const { return batch_capacity_; }
  std::size_t pending() const;

 private:
  const std::size_t batch_capacity_;
  mutable std::mutex mutex_;
  std::condition_variable free_cv_;
  std::condition_variable ready_cv_;
  std::vector<std::unique_ptr<RecordBatch>> free_;
  std::deque<std::unique_ptr<RecordBatch>> ready_;
};

}  // namespace pcap_ring
