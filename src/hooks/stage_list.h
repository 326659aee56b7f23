// The stages a finished file goes through: the executables in hooks.d (run-parts rules,
// lexical order, rescanned per file) followed by the tcpdump-style post-rotate command.
#pragma once

#include <string>
#include <vector>

#include "hooks/hook_runner.h"
#include "ring/ring_index.h"

namespace pcap_ring {

inline constexpr const char* kPostRotateStage = "post-rotate";

// Names in `dir` that run-parts would run: regular executable files named ^[A-Za-z0-9_-]+$
// (other names are skipped and logged once), owned by root or the daemon's user and not
// writable by group or others (others are refused and logged once; see hook_trust.h).
// A missing directory has no hooks; an untrusted one runs none.
std::vector<std::string> list_hook_executables(const std::string& dir);

// hooks.d names, then kPostRotateStage when a post-rotate command is set.
std::vector<std::string> resolve_stages(const std::string& hooks_dir, const std::string& post_rotate);

struct StageContext {
  std::string hooks_dir;
  std::string post_rotate;
  std::string interface_name;
  std::vector<std::string> base_env;  // "KEY=VALUE" passed to hooks (hook_base_environment.h)
  std::chrono::milliseconds timeout{300'000};
};

// The invocation of `stage` for `file` (absolute path) on attempt `attempt`.
// Returns false when the stage cannot run: its name is not a hooks.d name, its executable was
// removed or is not trusted (hook_trust.h), or `path` is not a regular file.
bool build_invocation(const StageContext& ctx, const std::string& stage, const std::string& path,
                      const FileRecord& file, unsigned attempt, HookInvocation* out, std::string* why);

}  // namespace pcap_ring
