#include "cli/capture_flags.h"

#include "config/settings_table.h"

namespace pcap_ring {

CaptureFlags::CaptureFlags(CLI::App& app) {
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  for (const SettingSpec* spec : settings_for<CaptureConfig>()) {
    if (spec->flag.empty()) continue;
    if (spec->name == "promisc") {
      promisc_ = app.add_flag("--promisc")->description(spec->help);
      no_promisc_ = app.add_flag("--no-promisc")->description("Capture only traffic addressed to the interface");
      continue;
    }
    auto value = std::make_unique<std::string>();
    std::string help = spec->help;
    if (!spec->env.empty()) help += " [env " + spec->env + "]";
    CLI::Option* opt = app.add_option(spec->flag, *value, help)->type_name(spec->value_name);
    options_[spec->name] = opt;
    storage_[spec->name] = std::move(value);
  }
}

RawSettings CaptureFlags::collect() const {
  RawSettings raw;
  for (const auto& [key, opt] : options_)
    if (opt->count() > 0) raw.values[key] = *storage_.at(key);
  if (promisc_->count() > 0) raw.values["promisc"] = "yes";
  if (no_promisc_->count() > 0) raw.values["promisc"] = "no";
  return raw;
}

RawSettings parse_capture_flag_words(const std::vector<std::string>& words) {
  CLI::App app{"ADDITIONAL_ARGS"};
  app.set_help_flag();
  CaptureFlags flags(app);
  std::vector<std::string> reversed(words.rbegin(), words.rend());  // CLI11 pops from the back
  app.parse(reversed);  // CLI::ParseError is a std::exception with a one-line what()
  return flags.collect();
}

CaptureConfig load_capture_config(const RawSettings& command_line, const Environment& environment) {
  return load_capture_config(command_line, environment, parse_capture_flag_words);
}

}  // namespace pcap_ring
