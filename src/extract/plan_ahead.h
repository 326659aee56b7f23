// Reads the flow indexes of a ring's finished files on a second thread, in the order the
// stream opens the files, so that reading the next file's index overlaps reading this file's
// packets. A needle query spends about as long in each as in the other.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "extract/file_plan.h"
#include "extract/time_window.h"
#include "flows/flow_index.h"
#include "flows/flow_query.h"

namespace pcap_ring {

class PlanAhead {
 public:
  // Plans `names` (finished files of the ring in `dir_fd`, in reading order) for `window`
  // and `query` (nullptr: the filter is not one the index answers). `dir_fd` and `query`
  // must outlive this object.
  PlanAhead(int dir_fd, TimeWindow window, const FlowQuery* query, std::vector<std::string> names);
  ~PlanAhead();  // stops the thread (plans not taken are dropped)
  PlanAhead(const PlanAhead&) = delete;
  PlanAhead& operator=(const PlanAhead&) = delete;

  // The plan of `name`, waiting while its index is read; nullopt when `name` is not one of
  // the names given (the caller plans it itself). A plan that is not made from an index
  // reads the whole file: its range starts at 0, for the caller to move to the file's first
  // record. Warnings made while planning are appended to *warnings.
  std::optional<FilePlan> take(const std::string& name, std::vector<std::string>* warnings);

 private:
  struct Entry {
    std::string name;
    bool done = false;
    bool skipped = false;
    FilePlan plan;
    std::vector<std::string> warnings;
  };
  void run();

  const int dir_fd_;
  const TimeWindow window_;
  const FlowQuery* const query_;
  std::vector<Entry> entries_;
  std::size_t next_taken_ = 0;  // entries before it were taken or passed over
  std::mutex mutex_;
  std::condition_variable changed_;
  bool stop_ = false;
  std::thread worker_;  // last: started once everything above exists
};

}  // namespace pcap_ring
