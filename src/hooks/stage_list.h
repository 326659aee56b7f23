// The stages a finished file goes through: the executables in hooks.d (run-parts rules,
// lexical order, rescanned per file) followed by the tcpdump-style post-rotate command.
#pragma once

#include <string>
#include <vector>

#include "hooks/hook_runner.h"
#include "ring/ring_index.h"

namespace pcap_ring {

inline constexpr const char* kPostRotateStage = "post-rotate";

// Names in `dir` that run-parts would run: regular executable files, skipping dotfiles,
// "*~", "*.dpkg-*" and "*.rpm*". A missing directory has no hooks.
std::vector<std::string> list_hook_executables(const std::string& dir);

// hooks.d names, then kPostRotateStage when a post-rotate command is set.
std::vector<std::string> resolve_stages(const std::string& hooks_dir, const std::string& post_rotate);

struct StageContext {
  std::string hooks_dir;
  std::string post_rotate;
  std::string interface_name;
  std::vector<std::string> base_env;  // the daemon's environment, "KEY=VALUE"
  std::chrono::milliseconds timeout{300'000};
};

// The invocation of `stage` for `file` (absolute path) on attempt `attempt`.
// Returns false when the stage can no longer run (its executable was removed).
bool build_invocation(const StageContext& ctx, const std::string& stage, const std::string& path,
                      const FileRecord& file, unsigned attempt, HookInvocation* out, std::string* why);

}  // namespace pcap_ring
