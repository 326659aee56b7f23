#include "cli/capture_flags.h"

#include <algorithm>

namespace pcap_ring {

CaptureFlags::CaptureFlags(CLI::App& app) {
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  for (const auto& spec : capture_settings()) {
    if (std::string(spec.key) == "promisc") {
      promisc_ = app.add_flag("--promisc")->description(spec.help);
      no_promisc_ = app.add_flag("--no-promisc")->description("Capture only traffic addressed to the interface");
      continue;
    }
    auto value = std::make_unique<std::string>();
    std::string help = spec.help;
    if (spec.env) help += " [env " + std::string(spec.env) + "]";
    CLI::Option* opt = app.add_option(spec.flag, *value, help)->type_name(spec.value_name);
    options_[spec.key] = opt;
    storage_[spec.key] = std::move(value);
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

bool parse_capture_flag_words(const std::vector<std::string>& words, RawSettings* settings,
                              std::string* error) {
  CLI::App app{"ADDITIONAL_ARGS"};
  app.set_help_flag();
  CaptureFlags flags(app);
  std::vector<std::string> reversed(words.rbegin(), words.rend());  // CLI11 pops from the back
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    *error = e.what();
    return false;
  }
  *settings = flags.collect();
  return true;
}

}  // namespace pcap_ring
