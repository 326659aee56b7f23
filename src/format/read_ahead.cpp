#include "format/read_ahead.h"

#include <unistd.h>

#include <cerrno>

#include "common/thread_name.h"

namespace pcap_ring {

ReadAhead::ReadAhead(int fd) : fd_(fd), worker_([this] { run(); }) {}

ReadAhead::~ReadAhead() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  worker_.join();
}

void ReadAhead::start(std::uint8_t* into, std::uint64_t offset, std::size_t length) {
  {
    std::lock_guard lock(mutex_);
    reads_.push_back(Read{into, offset, length, false, 0});
  }
  changed_.notify_all();
}

ssize_t ReadAhead::collect() {
  std::unique_lock lock(mutex_);
  if (reads_.empty()) return 0;
  changed_.wait(lock, [&] { return reads_.front().done; });
  const ssize_t result = reads_.front().result;
  reads_.pop_front();
  ++front_sequence_;
  --begun_;  // the front had been begun, as it is done
  return result;
}

void ReadAhead::run() {
  name_this_thread("pc-read");
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [&] { return stop_ || begun_ < reads_.size(); });
    if (stop_) return;
    // Reads are added at the back and collected (done) from the front while this one runs:
    // it is found again by its sequence number.
    const std::uint64_t sequence = front_sequence_ + begun_;
    const Read read = reads_[begun_++];
    lock.unlock();
    ssize_t done = 0;
    while (static_cast<std::size_t>(done) < read.length) {
      ssize_t n = ::pread(fd_, read.into + done, read.length - static_cast<std::size_t>(done),
                          static_cast<off_t>(read.offset) + done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) done = -1;
      if (n <= 0) break;
      done += n;
    }
    lock.lock();
    Read& finished = reads_[static_cast<std::size_t>(sequence - front_sequence_)];
    finished.result = done;
    finished.done = true;
    changed_.notify_all();
  }
}

}  // namespace pcap_ring
