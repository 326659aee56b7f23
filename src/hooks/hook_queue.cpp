#include "hooks/hook_queue.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "common/atomic_file.h"
#include "common/safe_open.h"
#include "hooks/hook_queue_numbers.h"
#include "common/json_integer.h"

namespace pcap_ring {

using nlohmann::json;

void to_json(nlohmann::ordered_json& j, const HookStats& s) {
  j = nlohmann::ordered_json{{"stages_succeeded", s.stages_succeeded}, {"stages_failed", s.stages_failed},
                             {"stages_retried", s.stages_retried},     {"stages_timed_out", s.stages_timed_out},
                             {"files_done", s.files_done},             {"files_evicted", s.files_evicted}};
}

void from_json(const json& j, HookStats& s) {
  s.stages_succeeded = json_integer_or<std::uint64_t>(j, "stages_succeeded", 0);
  s.stages_failed = json_integer_or<std::uint64_t>(j, "stages_failed", 0);
  s.stages_retried = json_integer_or<std::uint64_t>(j, "stages_retried", 0);
  s.stages_timed_out = json_integer_or<std::uint64_t>(j, "stages_timed_out", 0);
  s.files_done = json_integer_or<std::uint64_t>(j, "files_done", 0);
  s.files_evicted = json_integer_or<std::uint64_t>(j, "files_evicted", 0);
}

void to_json(nlohmann::ordered_json& j, const HookFailure& f) {
  j = nlohmann::ordered_json{
      {"file", f.file}, {"stage", f.stage}, {"outcome", f.outcome}, {"stderr", f.stderr_tail}, {"when_ns", f.when}};
}

void from_json(const json& j, HookFailure& f) {
  j.at("file").get_to(f.file);
  j.at("stage").get_to(f.stage);
  j.at("outcome").get_to(f.outcome);
  f.stderr_tail = j.value("stderr", "");
  f.when = json_integer_or<NanoTime>(j, "when_ns", 0);
}

void to_json(nlohmann::ordered_json& j, const HookJob& job) {
  j = nlohmann::ordered_json{{"file", job.file},
                             {"stages", job.stages},
                             {"stages_resolved", job.stages_resolved},
                             {"next_stage", job.next_stage},
                             {"attempt", job.attempt},
                             {"not_before_ns", job.not_before}};
}

void from_json(const json& j, HookJob& job) {
  j.at("file").get_to(job.file);
  j.at("stages").get_to(job.stages);
  j.at("stages_resolved").get_to(job.stages_resolved);
  job.next_stage = json_integer<std::size_t>(j.at("next_stage"));
  job.attempt = json_integer<unsigned>(j.at("attempt"));
  job.not_before = json_integer<NanoTime>(j.at("not_before_ns"));
}

void to_json(nlohmann::ordered_json& j, const HookQueueState& state) {
  j = nlohmann::ordered_json::object();
  j["last_enqueued"] = state.last_enqueued ? nlohmann::ordered_json(*state.last_enqueued) : nullptr;
  j["stats"] = state.stats;
  j["failures"] = state.recent_failures;
  j["jobs"] = state.jobs;
}

void from_json(const json& j, HookQueueState& state) {
  const json& last = j.value("last_enqueued", json());
  state.last_enqueued = last.is_null() ? std::nullopt : std::optional(json_integer<std::uint64_t>(last));
  j.at("stats").get_to(state.stats);
  state.recent_failures.clear();
  for (const auto& f : j.at("failures")) state.recent_failures.push_back(f.get<HookFailure>());
  j.at("jobs").get_to(state.jobs);
}

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
  try {
    return j.get<HookQueueState>();
  } catch (const json::exception& e) {
    throw std::runtime_error(path + ": hook queue is damaged: " + e.what());
  }
}

int save_hook_queue(const std::string& path, const HookQueueState& state) {
  std::string text = nlohmann::ordered_json(state).dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  return write_file_atomically(path, text);
}

}  // namespace pcap_ring
