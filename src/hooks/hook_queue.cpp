#include "hooks/hook_queue.h"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "common/atomic_file.h"
#include "common/json_integer.h"

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
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  json j = json::parse(text.str(), nullptr, false);
  if (!j.is_object()) throw std::runtime_error(path + ": hook queue is not valid JSON");
  HookQueueState state;
  try {
    if (j.contains("last_enqueued") && !j["last_enqueued"].is_null())
      state.last_enqueued = json_integer<std::uint64_t>(j["last_enqueued"]);
    const json& s = j.at("stats");
    state.stats.stages_succeeded = json_integer_or<std::uint64_t>(s, "stages_succeeded", 0);
    state.stats.stages_failed = json_integer_or<std::uint64_t>(s, "stages_failed", 0);
    state.stats.stages_retried = json_integer_or<std::uint64_t>(s, "stages_retried", 0);
    state.stats.stages_timed_out = json_integer_or<std::uint64_t>(s, "stages_timed_out", 0);
    state.stats.files_done = json_integer_or<std::uint64_t>(s, "files_done", 0);
    state.stats.files_evicted = json_integer_or<std::uint64_t>(s, "files_evicted", 0);
    for (const auto& f : j.at("failures"))
      state.recent_failures.push_back({f.at("file"), f.at("stage"), f.at("outcome"), f.value("stderr", ""),
                                       json_integer_or<NanoTime>(f, "when_ns", 0)});
    for (const auto& jj : j.at("jobs")) {
      HookJob job;
      if (!record_from_json_line(jj.at("file").dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), &job.file))
        throw std::runtime_error(path + ": bad file record in hook queue");
      job.stages = jj.at("stages").get<std::vector<std::string>>();
      job.stages_resolved = jj.at("stages_resolved").get<bool>();
      job.next_stage = json_integer<std::size_t>(jj.at("next_stage"));
      job.attempt = json_integer<unsigned>(jj.at("attempt"));
      job.not_before = json_integer<NanoTime>(jj.at("not_before_ns"));
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
