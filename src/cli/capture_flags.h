// The capture settings as CLI11 flags, generated from the settings table: used for `run` on
// the real command line and for the words of ADDITIONAL_ARGS, so both accept exactly the same
// flags.
#pragma once

#include <CLI/CLI.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/capture_config.h"

namespace pcap_ring {

class CaptureFlags {
 public:
  // Adds every capture setting that has a flag to `app` (plus --promisc/--no-promisc).
  explicit CaptureFlags(CLI::App& app);
  CaptureFlags(const CaptureFlags&) = delete;
  CaptureFlags& operator=(const CaptureFlags&) = delete;

  // After parsing: the settings the flags set, by setting name.
  RawSettings collect() const;

 private:
  std::map<std::string, std::unique_ptr<std::string>> storage_;
  std::map<std::string, CLI::Option*> options_;
  CLI::Option* promisc_ = nullptr;
  CLI::Option* no_promisc_ = nullptr;
};

// Parses flag words (from ADDITIONAL_ARGS); throws std::exception with a one-line message.
RawSettings parse_capture_flag_words(const std::vector<std::string>& words);

// The capture configuration from every layer, ADDITIONAL_ARGS parsed with the `run` flags.
CaptureConfig load_capture_config(const RawSettings& command_line, const Environment& environment);

}  // namespace pcap_ring
