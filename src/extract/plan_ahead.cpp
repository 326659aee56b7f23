#include "extract/plan_ahead.h"

#include "common/thread_name.h"

namespace pcap_ring {
namespace {

// Plans made ahead of the one being read: enough to keep the reader from waiting, few enough
// that an extraction stopped early (a limit, a signal) has not read every index for nothing.
constexpr std::size_t kMaxAhead = 4;

}  // namespace

PlanAhead::PlanAhead(int dir_fd, TimeWindow window, const FlowQuery* query, std::vector<std::string> names)
    : dir_fd_(dir_fd), window_(window), query_(query) {
  entries_.reserve(names.size());
  for (auto& name : names) {
    Entry entry;
    entry.name = std::move(name);
    entries_.push_back(std::move(entry));
  }
  worker_ = std::thread([this] { run(); });
}

PlanAhead::~PlanAhead() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  worker_.join();
}

void PlanAhead::run() {
  name_this_thread("pc-plan");
  FlowIndex scratch;  // the worker's own: one index in memory at a time
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    std::string name;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return stop_ || i < next_taken_ + kMaxAhead; });
      if (stop_) return;
      if (entries_[i].skipped) continue;  // passed over by the reader
      name = entries_[i].name;
    }
    std::vector<std::string> warnings;
    FilePlan plan;
    try {
      plan = plan_file(dir_fd_, name, 0, window_, query_, true, &scratch, &warnings);
    } catch (const std::exception& e) {  // out of memory: the whole file then, as without an index
      plan = FilePlan{};
      plan.ranges.push_back(ByteRange{0});
      warnings.push_back(name + ": flow index not read: " + e.what());
    }
    {
      std::lock_guard lock(mutex_);
      entries_[i].plan = std::move(plan);
      entries_[i].warnings = std::move(warnings);
      entries_[i].done = true;
    }
    changed_.notify_all();
  }
}

std::optional<FilePlan> PlanAhead::take(const std::string& name, std::vector<std::string>* warnings) {
  std::unique_lock lock(mutex_);
  std::size_t i = next_taken_;
  while (i < entries_.size() && entries_[i].name != name) ++i;
  if (i == entries_.size()) return std::nullopt;
  // Files between were skipped by the reader (deleted, not capture files): never plan them.
  for (std::size_t j = next_taken_; j < i; ++j) entries_[j].skipped = true;
  next_taken_ = i + 1;
  changed_.notify_all();
  changed_.wait(lock, [&] { return entries_[i].done || stop_; });
  if (!entries_[i].done) return std::nullopt;
  warnings->insert(warnings->end(), entries_[i].warnings.begin(), entries_[i].warnings.end());
  FilePlan plan = std::move(entries_[i].plan);
  entries_[i].warnings.clear();
  return plan;
}

}  // namespace pcap_ring
