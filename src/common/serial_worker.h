// One background thread that runs posted jobs in the order they were posted. The ring hands
// it the slow file-system work of a rotation (fsync, rename, unlink), so the thread that moves
// packets from the kernel ring to the disk never waits for it.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace pcap_ring {

class SerialWorker {
 public:
  // `name`: the thread's name (at most 15 characters).
  explicit SerialWorker(const char* name = "pc-worker");
  // Runs every job still queued, then joins the thread.
  ~SerialWorker();
  SerialWorker(const SerialWorker&) = delete;
  SerialWorker& operator=(const SerialWorker&) = delete;

  void post(std::function<void()> job);
  // Returns once every job posted before the call has finished.
  void wait_idle();
  // Jobs queued or running now.
  std::size_t backlog() const;

 private:
  void run(const char* name);

  mutable std::mutex mutex_;
  std::condition_variable work_cv_;
  std::condition_variable idle_cv_;
  std::deque<std::function<void()>> jobs_;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread thread_;  // last: started once the members above exist
};

}  // namespace pcap_ring
