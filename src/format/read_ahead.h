// Reads on a thread of its own, one pread after the other, in the order asked: a reader asks
// for the next chunks of a file while it parses the current one, so the copy out of the page
// cache (about half of a whole-file scan) runs on the other core. Several chunks may be asked
// for at once, so that the reading thread never waits for the parser to take one and ask for
// the next (a thread's wake-up on a virtual machine can take as long as copying a chunk).
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>

namespace pcap_ring {

class ReadAhead {
 public:
  explicit ReadAhead(int fd);
  ~ReadAhead();  // waits for a read in progress; reads not yet begun are dropped
  ReadAhead(const ReadAhead&) = delete;
  ReadAhead& operator=(const ReadAhead&) = delete;

  // Asks for up to `length` bytes at `offset` to be read into `into`, which must stay valid
  // until this read is collected (or the ReadAhead destroyed).
  void start(std::uint8_t* into, std::uint64_t offset, std::size_t length);
  // Waits for the oldest read not yet collected: the bytes read (fewer at the end of the
  // file), or -1 after an error; 0 when none is outstanding.
  ssize_t collect();

 private:
  struct Read {
    std::uint8_t* into = nullptr;
    std::uint64_t offset = 0;
    std::size_t length = 0;
    bool done = false;
    ssize_t result = 0;
  };
  void run();

  const int fd_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Read> reads_;  // in the order asked; the front is collected first
  std::size_t begun_ = 0;   // reads_[0, begun_) have been begun by the thread
  std::uint64_t front_sequence_ = 0;  // how many reads were collected: reads_[0]'s number
  bool stop_ = false;
  std::thread worker_;  // last: started once everything above exists
};

}  // namespace pcap_ring
