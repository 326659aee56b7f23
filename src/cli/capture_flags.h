// The capture settings as CLI11 flags: used for `run` on the real command line and for the
// words of ADDITIONAL_ARGS, so both accept exactly the same flags.
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
  // Adds every capture setting as a flag of `app` (plus --promisc/--no-promisc).
  explicit CaptureFlags(CLI::App& app);
  CaptureFlags(const CaptureFlags&) = delete;
  CaptureFlags& operator=(const CaptureFlags&) = delete;

  // After parsing: the settings the flags set, by INI key.
  RawSettings collect() const;

 private:
  std::map<std::string, std::unique_ptr<std::string>> storage_;
  std::map<std::string, CLI::Option*> options_;
  CLI::Option* promisc_ = nullptr;
  CLI::Option* no_promisc_ = nullptr;
};

// Parses flag words (from ADDITIONAL_ARGS). Returns false with a one-line *error.
bool parse_capture_flag_words(const std::vector<std::string>& words, RawSettings* settings,
                              std::string* error);

}  // namespace pcap_ring
