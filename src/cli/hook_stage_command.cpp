#include "cli/hook_stage_command.h"

#include "common/exit_codes.h"
#include "common/log.h"

namespace pcap_ring {

std::map<std::string, std::string> StageCommandLine::flags() const {
  std::map<std::string, std::string> out;
  for (const auto& [name, option] : options)
    if (option->count() > 0) out[name] = values.at(name);
  if (config_dir_option->count() > 0) out["config_dir"] = config_dir;
  return out;
}

std::shared_ptr<StageCommandLine> add_stage_flags(CLI::App* cmd, const std::vector<const SettingSpec*>& rows,
                                                  const std::string& config_dir_help, bool config_dir_first,
                                                  bool with_file) {
  auto line = std::make_shared<StageCommandLine>();
  if (with_file) cmd->add_option("FILE", line->file, "Finished capture file")->required();
  auto add_config_dir = [&] { line->config_dir_option = cmd->add_option("--config-dir", line->config_dir, config_dir_help); };
  if (config_dir_first) add_config_dir();
  for (const SettingSpec* row : rows) {
    if (row->flag.empty()) continue;
    std::string& slot = line->values[row->name];
    line->options.emplace_back(row->name, cmd->add_option(row->flag, slot, row->help));
  }
  if (!config_dir_first) add_config_dir();
  return line;
}

}  // namespace pcap_ring
