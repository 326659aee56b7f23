#include "ring/record_batch.h"

#include <new>

namespace pcap_ring {

RecordBatch::RecordBatch(std::size_t bytes)
    : data(static_cast<std::uint8_t*>(
          std::aligned_alloc(kDirectIoAlign, (bytes + kDirectIoAlign - 1) / kDirectIoAlign * kDirectIoAlign))),
      capacity(bytes) {
  if (!data) throw std::bad_alloc();
}

void RecordBatch::clear() {
  begin = 0;
  size = 0;
  packets = 0;
  first = last = 0;
  file_header.clear();
  closes_file = false;
  file_drops = 0;
  end_of_stream = false;
}

BatchQueue::BatchQueue(std::size_t batch_count, std::size_t batch_capacity)
    : batch_capacity_(batch_capacity) {
  for (std::size_t i = 0; i < batch_count; ++i)
    free_.push_back(std::make_unique<RecordBatch>(batch_capacity));
}

std::unique_ptr<RecordBatch> BatchQueue::acquire() {
  std::unique_lock lock(mutex_);
  free_cv_.wait(lock, [&] { return !free_.empty(); });
  auto batch = std::move(free_.back());
  free_.pop_back();
  batch->clear();
  return batch;
}

void BatchQueue::submit(std::unique_ptr<RecordBatch> batch) {
  {
    std::lock_guard lock(mutex_);
    ready_.push_back(std::move(batch));
  }
  ready_cv_.notify_one();
}

std::unique_ptr<RecordBatch> BatchQueue::next() {
  std::unique_lock lock(mutex_);
  ready_cv_.wait(lock, [&] { return !ready_.empty(); });
  auto batch = std::move(ready_.front());
  ready_.pop_front();
  return batch;
}

void BatchQueue::release(std::unique_ptr<RecordBatch> batch) {
  {
    std::lock_guard lock(mutex_);
    free_.push_back(std::move(batch));
  }
  free_cv_.notify_one();
}

std::size_t BatchQueue::pending() const {
  std::lock_guard lock(mutex_);
  return ready_.size();
}

}  // namespace pcap_ring
