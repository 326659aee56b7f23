#include "hooks/stage_list.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "common/environment.h"

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
    if (!e.starts_with("PCAP_")) inv.env.push_back(e);
  auto add = [&](const char* key, const std::string& value) { inv.env.push_back(std::string(key) + "=" + value); };
  add("PCAP_FILE", path);
  add("PCAP_INTERFACE", ctx.interface_name);
  add("PCAP_SEQUENCE", std::to_string(file.sequence));
  add("PCAP_PACKETS", std::to_string(file.packets));
  add("PCAP_BYTES", std::to_string(file.bytes));
  add("PCAP_FIRST_TIME", file.packets ? format_rfc3339_ns(file.first) : "");
  add("PCAP_LAST_TIME", file.packets ? format_rfc3339_ns(file.last) : "");
  add("PCAP_DROPPED", std::to_string(file.drops));
  add("PCAP_HOOK_ATTEMPT", std::to_string(attempt));
  *out = std::move(inv);
  return true;
}

}  // namespace pcap_ring
