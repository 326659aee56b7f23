#include "hooks/stage_list.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "config/capture_config.h"
#include "hooks/hook_environment.h"

namespace pcap_ring {

std::vector<std::string> list_hook_executables(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.empty() || name.front() == '.' || name.back() == '~') continue;
    if (name.find(".dpkg-") != std::string::npos || name.find(".rpm") != std::string::npos) continue;
    struct stat st {};
    if (::stat(entry.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (::access(entry.path().c_str(), X_OK) != 0) continue;
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
    std::string exe = ctx.hooks_dir + "/" + stage;
    if (::access(exe.c_str(), X_OK) != 0) {
      *why = exe + " is no longer an executable";
      return false;
    }
    inv.argv = {exe};
  }
  inv.argv.push_back(path);
  for (const auto& e : ctx.base_env)
    if (!is_hook_environment_entry(e)) inv.env.push_back(e);
  for (auto& e : hook_environment(hook_file_info(path, ctx.interface_name, file, attempt))) inv.env.push_back(std::move(e));
  *out = std::move(inv);
  return true;
}

}  // namespace pcap_ring
