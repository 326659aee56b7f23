// What the `hook cloudshark|s3|suricata FILE` subcommands share: FILE, --config-dir and one
// flag per settings-table row of the stage, and one way of turning a stage's errors into a
// logged line and an exit status (stages/stage_runner.h).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cli/subcommand.h"
#include "config/settings_table.h"
#include "stages/stage_runner.h"

namespace pcap_ring {

// Filled in by CLI11 when the command line is parsed.
struct StageCommandLine {
  std::string file;
  std::string config_dir;
  CLI::Option* config_dir_option = nullptr;
  std::map<std::string, std::string> values;
  std::vector<std::pair<std::string, CLI::Option*>> options;
  // The flags given, by setting name (plus "config_dir").
  std::map<std::string, std::string> flags() const;
};

// Adds FILE (unless `with_file` is false), the flag of each row that has one, and
// --config-dir (first or last in --help).
std::shared_ptr<StageCommandLine> add_stage_flags(CLI::App* cmd, const std::vector<const SettingSpec*>& rows,
                                                  const std::string& config_dir_help, bool config_dir_first,
                                                  bool with_file = true);

}  // namespace pcap_ring
