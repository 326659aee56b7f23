#include "hooks/hook_queue.h"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "common/atomic_file.h"
#include "common/safe_open.h"
#include "hooks/hook_queue_numbers.h"

namespace pcap_ring {

using nlohmann::json;

std::string hook_queue_file_name(const RingId& ring) {
  return "." + ring.prefix + "-" + ring.interface_name + ".hooks";
}

namespace {

json record_json(const FileRecord& r) {
  return json::parse(record_to_json_line(r));
}

}  // namespace

std::optional<HookQueueState> load_hook_queue(const std::string& path) {
  std::string text;
  if (int err = read_regular_file(path, &text); err == ENOENT || err == ENOTDIR) {  // no ring directory yet
    return std::nullopt;
  } else if (err != 0) {
    throw std::runtime_error(path + ": hook queue cannot be read: " +
                             (err == ELOOP ? "is a symlink" : err == EINVAL ? "is not a regular file" : errno_text(err)));
  }
  json j = json::parse(text, nullptr, false);
  if (!j.is_object()) throw std::runtime_error(path + ": hook queue is not valid JSON");
  if (std::string bad = first_out_of_range_number(j); !bad.empty())
    throw std::runtime_error(path + ": hook queue is damaged: " + bad + " is not a whole number from 0");
  HookQueueState state;
  try {
    if (j.contains("last_enqueued") && !j["last_enqueued"].is_null())
      state.last_enqueued = j["last_enqueued"].get<std::uint64_t>();
    const json& s = j.at("stats");
    state.stats.stages_succeeded = s.value("stages_succeeded", 0ULL);
    state.stats.stages_failed = s.value("stages_failed", 0ULL);
    state.stats.stages_retried = s.value("stages_retried", 0ULL);
    state.stats.stages_timed_out = s.value("stages_timed_out", 0ULL);
    state.stats.files_done = s.value("files_done", 0ULL);
    state.stats.files_evicted = s.value("files_evicted", 0ULL);
    for (const auto& f : j.at("failures"))
      state.recent_failures.push_back({f.at("file"), f.at("stage"), f.at("outcome"), f.value("stderr", ""),
                                       f.value("when_ns", NanoTime{0})});
    for (const auto& jj : j.at("jobs")) {
      HookJob job;
      if (!record_from_json_line(jj.at("file").dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), &job.file))
        throw std::runtime_error(path + ": bad file record in hook queue");
      job.stages = jj.at("stages").get<std::vector<std::string>>();
      job.stages_resolved = jj.at("stages_resolved").get<bool>();
      job.next_stage = jj.at("next_stage").get<std::size_t>();
      job.attempt = jj.at("attempt").get<unsigned>();
      job.not_before = jj.at("not_before_ns").get<NanoTime>();
      state.jobs.push_back(std::move(job));
    }
  } catch (const json::exception& e) {
    throw std::runtime_error(path + ": hook queue is damaged: " + e.what());
  }
  return state;
}

int save_hook_queue(const std::string& path, const HookQueueState& state) {
  json j;
  j["last_enqueued"] = state.last_enqueued ? json(*state.last_enqueued) : json(nullptr);
  j["stats"] = {{"stages_succeeded", state.stats.stages_succeeded},
                {"stages_failed", state.stats.stages_failed},
                {"stages_retried", state.stats.stages_retried},
                {"stages_timed_out", state.stats.stages_timed_out},
                {"files_done", state.stats.files_done},
                {"files_evicted", state.stats.files_evicted}};
  j["failures"] = json::array();
  for (const auto& f : state.recent_failures)
    j["failures"].push_back({{"file", f.file}, {"stage", f.stage}, {"outcome", f.outcome},
                             {"stderr", f.stderr_tail}, {"when_ns", f.when}});
  j["jobs"] = json::array();
  for (const auto& job : state.jobs)
    j["jobs"].push_back({{"file", record_json(job.file)},
                         {"stages", job.stages},
                         {"stages_resolved", job.stages_resolved},
                         {"next_stage", job.next_stage},
                         {"attempt", job.attempt},
                         {"not_before_ns", job.not_before}});
  std::string text = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  return write_file_atomically(path, text);
}

}  // namespace pcap_ring
