// One pread at a time on a thread of its own: a reader asks for the next chunk of a file while
// it parses the current one, so the copy out of the page cache (about half of a whole-file
// scan) runs on the other core.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>

namespace pcap_ring {

class ReadAhead {
 public:
  explicit ReadAhead(int fd);
  ~ReadAhead();  // waits for a read in progress
  ReadAhead(const ReadAhead&) = delete;
  ReadAhead& operator=(const ReadAhead&) = delete;

  // Starts reading up to `length` bytes at `offset` into `into`, which must stay valid until
  // collect(). At most one read is outstanding.
  void start(std::uint8_t* into, std::uint64_t offset, std::size_t length);
  // Waits for the read started last: the bytes read (fewer at the end of the file), or -1
  // after an error.
  ssize_t collect();

 private:
  void run();

  const int fd_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::uint8_t* into_ = nullptr;
  std::uint64_t offset_ = 0;
  std::size_t length_ = 0;
  bool requested_ = false;
  bool finished_ = false;
  ssize_t result_ = 0;
  bool stop_ = false;
  std::thread worker_;  // last: started once everything above exists
};

}  // namespace pcap_ring
