#include "hooks/stage_list.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "common/environment.h"
#include "config/capture_config.h"
#include "hooks/hook_base_environment.h"
#include "hooks/hook_trust.h"
#include "hooks/hook_environment.h"

namespace pcap_ring {

std::vector<std::string> list_hook_executables(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return names;
  if (std::string why = untrusted_hooks_dir(dir); !why.empty()) {
    warn_once("dir\n" + dir + "\n" + why, "refusing the hooks directory " + dir + ": it " + why + "; no hooks run");
    return names;
  }
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (!is_run_parts_name(name)) {
      warn_once("name\n" + entry.path().string(),
                "hooks.d: skipping " + entry.path().string() +
                    ": not a run-parts name (only letters, digits, '_' and '-')");
      continue;
    }
    struct stat st {};
    if (::stat(entry.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (::access(entry.path().c_str(), X_OK) != 0) continue;
    if (std::string why = untrusted_hook(entry.path().string()); !why.empty()) {
      warn_once("hook\n" + entry.path().string() + "\n" + why,
                "hooks.d: refusing to run " + entry.path().string() + ": it " + why);
      continue;
    }
    names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> resolve_stages(const std::string& hooks_dir, const std::string& post_rotate) {
  std::vector<std::string> stages = list_hook_executables(hooks_dir);
  if (!post_rotate.empty()) stages.push_back(kPostRotateStage);
  return stages;
}

bool build_invocation(const StageContext& ctx, const std::string& stage, const std::string& path,
                      const FileRecord& file, unsigned attempt, HookInvocation* out, std::string* why) {
  HookInvocation inv;
  inv.name = stage;
  inv.timeout = ctx.timeout;
  if (stage == kPostRotateStage) {
    std::vector<std::string> words;
    if (!split_shell_words(ctx.post_rotate, &words) || words.empty()) {
      *why = "post-rotate command '" + ctx.post_rotate + "' cannot be split into words";
      return false;
    }
    inv.argv = words;
  } else {
    // The stage name may come from the durable queue: it must be a name the hooks.d listing
    // could produce before it becomes part of a path.
    if (!is_run_parts_name(stage)) {
      *why = "stage name '" + stage + "' is not a hooks.d name (only letters, digits, '_' and '-')";
      return false;
    }
    std::string exe = ctx.hooks_dir + "/" + stage;
    if (::access(exe.c_str(), X_OK) != 0) {
      *why = exe + " is no longer an executable";
      return false;
    }
    std::string distrust = untrusted_hooks_dir(ctx.hooks_dir);
    if (distrust.empty()) distrust = untrusted_hook(exe);
    else distrust = "the hooks directory " + distrust;
    if (!distrust.empty()) {
      *why = exe + " is refused: it " + distrust;
      return false;
    }
    inv.argv = {exe};
  }
  // A finished file replaced by a symlink must not hand another file to the hooks.
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    *why = path + " is not a regular file";
    return false;
  }
  inv.argv.push_back(path);
  for (const auto& e : ctx.base_env)
    if (!is_hook_environment_entry(e)) inv.env.push_back(e);
  for (auto& e : hook_environment(hook_file_info(path, ctx.interface_name, file, attempt))) inv.env.push_back(std::move(e));
  *out = std::move(inv);
  return true;
}

}  // namespace pcap_ring
