#include "cli/hooks_command.h"

#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/capture_flags.h"
#include "cli/ring_selection.h"
#include "common/exit_codes.h"
#include "hooks/hook_queue.h"
#include "hooks/hook_base_environment.h"
#include "hooks/hook_environment.h"
#include "format/capture_scanner.h"
#include "hooks/stage_list.h"
#include "common/log.h"

namespace pcap_ring {
namespace {

struct RunArgs {
  std::string file;
  std::string interface_name;
  std::string hooks_dir, post_rotate, timeout, config_dir;
};

int hooks_run(const RunArgs& a) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(a.file, ec))
    throw UsageError("hooks run: '" + a.file + "' is not a file; expected a finished capture file");
  auto env = current_environment();
  HookFileInfo info = hook_file_info_from_environment(a.file, env);
  RawSettings raw;
  raw.values["interface"] = !a.interface_name.empty() ? a.interface_name
                            : !info.interface_name.empty() ? info.interface_name
                                                           : std::string("file");
  raw.values["output_dir"] = std::filesystem::path(info.path).parent_path().string();
  if (!a.hooks_dir.empty()) raw.values["hooks_dir"] = a.hooks_dir;
  if (!a.post_rotate.empty()) raw.values["post_rotate"] = a.post_rotate;
  if (!a.timeout.empty()) raw.values["hook_timeout"] = a.timeout;
  if (!a.config_dir.empty()) raw.values["config_dir"] = a.config_dir;
  CaptureConfig config = load_capture_config(raw, env);

  StageContext ctx;
  ctx.hooks_dir = config.hooks_dir;
  ctx.post_rotate = config.post_rotate;
  ctx.interface_name = config.interface_name;
  ctx.timeout = std::chrono::seconds(config.hook_timeout_seconds);
  ctx.base_env = hook_base_environment(env, config.hook_pass_environment, config.config_dir);

  FileRecord record{std::filesystem::path(info.path).filename().string(), info.sequence, 0, 0, 0, info.bytes, info.dropped};
  FileScan scan;
  std::string error;
  if (scan_capture_file(info.path, &scan, &error)) {
    record.first = scan.first;
    record.last = scan.last;
    record.packets = scan.packets;
  }
  auto stages = resolve_stages(ctx.hooks_dir, ctx.post_rotate);
  if (stages.empty()) {
    std::cout << "no hooks: " << ctx.hooks_dir << " has no executables and no post-rotate command is set\n";
    return kExitOk;
  }
  for (const auto& stage : stages) {
    HookInvocation inv;
    std::string why;
    if (!build_invocation(ctx, stage, info.path, record, 1, &inv, &why)) {
      std::cout << stage << ": skipped (" << why << ")\n";
      continue;
    }
    HookOutcome outcome = run_hook(inv);
    std::cout << stage << ": " << (outcome.succeeded() ? "ok" : outcome.describe()) << "\n";
    if (!outcome.succeeded()) {
      std::cout << "later stages skipped" << (outcome.exit_code == kExitTempFail ? " (exit 75: the daemon would retry)" : "") << "\n";
      return outcome.started && outcome.exit_code == kExitTempFail ? kExitTempFail : kExitFailure;
    }
  }
  return kExitOk;
}

struct StatusArgs {
  RingSelection ring;
  bool json = false;
};

int hooks_status(const StatusArgs& a) {
  auto location = locate_ring(a.ring);
  if (!location) throw UsageError("hooks status needs --output-dir DIR or --interface IFACE");
  const std::string& dir = location->directory;
  std::string error;
  std::vector<std::string> paths =
      ring_state_files(dir, StateFile::kHooks, location->prefix, a.ring.interface_name, &error);
  if (!error.empty()) throw ConfigError("output directory '" + dir + "' cannot be read: " + error);
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  for (const auto& path : paths) {
    std::optional<HookQueueState> state;
    try {
      state = load_hook_queue(path);
    } catch (const std::exception& e) {
      std::cerr << "packet-capture: error: " << e.what() << "\n";
      continue;
    }
    if (!state) continue;
    std::string ring = state_file_ring_label(std::filesystem::path(path).filename().string(), StateFile::kHooks).value_or("");
    if (a.json) {
      nlohmann::ordered_json j;
      j["ring"] = ring;
      j["backlog"] = state->jobs.size();
      j["pending"] = nlohmann::ordered_json::array();
      for (const auto& job : state->jobs) {
        std::string next = job.stages_resolved && job.next_stage < job.stages.size() ? job.stages[job.next_stage] : "";
        j["pending"].push_back({{"file", job.file.file}, {"next_stage", next}, {"attempt", job.attempt}});
      }
      j["stages_succeeded"] = state->stats.stages_succeeded;
      j["stages_failed"] = state->stats.stages_failed;
      j["stages_retried"] = state->stats.stages_retried;
      j["files_evicted"] = state->stats.files_evicted;
      j["recent_failures"] = nlohmann::ordered_json::array();
      for (const auto& f : state->recent_failures)
        j["recent_failures"].push_back({{"file", f.file}, {"stage", f.stage}, {"outcome", f.outcome},
                                        {"when", format_rfc3339_ns(f.when)}, {"stderr", f.stderr_tail}});
      all.push_back(j);
      continue;
    }
    std::cout << ring << ": " << state->jobs.size() << " files waiting for hooks; " << state->stats.stages_succeeded
              << " stages ok, " << state->stats.stages_failed << " failed, " << state->stats.stages_retried
              << " retried, " << state->stats.files_evicted << " files evicted before their hooks ran\n";
    for (const auto& job : state->jobs) {
      std::string next = job.stages_resolved && job.next_stage < job.stages.size() ? job.stages[job.next_stage] : "(not started)";
      std::cout << "  waiting: " << job.file.file << " next " << next << " attempt " << job.attempt << "\n";
    }
    for (const auto& f : state->recent_failures)
      std::cout << "  failed:  " << format_rfc3339_ns(f.when) << " " << f.file << " " << f.stage << ": " << f.outcome << "\n";
  }
  if (a.json) std::cout << all.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  else if (paths.empty()) std::cout << "no hook queue in " << dir << "\n";
  return kExitOk;
}

}  // namespace

Subcommand add_hooks_run_command(CLI::App& hooks_app) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* run = hooks_app.add_subcommand("run", "Run the hook pipeline once on FILE, in the foreground");
  run->add_option("file", args->file, "A finished capture file")->required();
  run->add_option("-i,--interface", args->interface_name, "Interface passed to hooks (default: from the file name)");
  run->add_option("--hooks-dir", args->hooks_dir, "Hooks directory (default from configuration)");
  run->add_option("-z,--post-rotate", args->post_rotate, "Post-rotate command run after hooks.d");
  run->add_option("--hook-timeout", args->timeout, "Seconds before a hook is ended");
  run->add_option("--config-dir", args->config_dir, "Configuration directory");
  return {run, [args] { return hooks_run(*args); }};
}

Subcommand add_hooks_status_command(CLI::App& hooks_app) {
  auto args = std::make_shared<StatusArgs>();
  CLI::App* status = hooks_app.add_subcommand("status", "Show the hook backlog and the last failures");
  add_ring_selection_flags(*status, args->ring);
  status->add_flag("--json", args->json, "JSON output");
  return {status, [args] { return hooks_status(*args); }};
}

}  // namespace pcap_ring
