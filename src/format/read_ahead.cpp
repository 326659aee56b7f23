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
    into_ = into;
    offset_ = offset;
    length_ = length;
    requested_ = true;
    finished_ = false;
  }
  changed_.notify_all();
}

ssize_t ReadAhead::collect() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return finished_ || !requested_; });
  if (!finished_) return 0;
  finished_ = false;
  return result_;
}

void ReadAhead::run() {
  name_this_thread("pc-read");
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [&] { return stop_ || requested_; });
    if (!requested_) return;  // stopping, nothing asked
    std::uint8_t* into = into_;
    std::uint64_t offset = offset_;
    std::size_t length = length_;
    lock.unlock();
    ssize_t done = 0;
    while (static_cast<std::size_t>(done) < length) {
      ssize_t n = ::pread(fd_, into + done, length - static_cast<std::size_t>(done), static_cast<off_t>(offset) + done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) done = -1;
      if (n <= 0) break;
      done += n;
    }
    lock.lock();
    result_ = done;
    requested_ = false;
    finished_ = true;
    changed_.notify_all();
    if (stop_) return;
  }
}

}  // namespace pcap_ring
