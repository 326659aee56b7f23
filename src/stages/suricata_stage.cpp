#include "stages/suricata_stage.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <variant>
#include <vector>

#include "config/capture_config.h"
#include "common/exit_codes.h"
#include "config/ini_file.h"
#include "common/log.h"
#include "common/unique_fd.h"
#include "stages/suricata_client.h"
#include "stages/suricata_continuous.h"
#include "stages/stage_runner.h"

namespace pcap_ring {


// ---------------------------------------------------------------------------------------------

SuricataSettings load_suricata_settings(const SuricataFlags& flags, const std::string& interface_name,
                                        const std::map<std::string, std::string>& environment) {
  std::map<std::string, std::string> given;
  auto give = [&](const char* name, const std::string& value) {
    if (!value.empty()) given[name] = value;
  };
  give("socket", flags.socket);
  give("output_dir", flags.output_dir);
  give("continuous_dir", flags.continuous_dir);
  give("timeout", flags.timeout);
  give("config_dir", flags.config_dir);
  return load_suricata_settings(given, interface_name, environment);
}

SuricataSettings load_suricata_settings(const std::map<std::string, std::string>& flags,
                                        const std::string& interface_name, const Environment& environment) {
  return load_stage_settings<SuricataSettings>(flags, interface_name, environment);
}

StageOutcome submit_to_suricata_socket(const std::string& file, const SuricataSettings& settings) {
  return submit_over_suricata_socket(file, {settings.socket_path, settings.output_dir, settings.timeout_seconds});
}

namespace {

// Hands the file over in the configured mode; throws ConfigError for settings that cannot work.
StageOutcome hand_over(const std::string& path, const SuricataSettings& settings) {
  StageOutcome r;
  if (settings.continuous()) {
    r = link_into_continuous_dir(path, settings.continuous_dir);
  } else {
    if (settings.output_dir.empty())
      throw ConfigError(
          "no output directory for Suricata's logs: set --output-dir or output_dir in [suricata] "
          "(or use continuous mode: --continuous-dir, continuous_dir, SURICATA_CONTINUOUS_DIR)");
    struct stat od {};
    if (::stat(settings.output_dir.c_str(), &od) != 0 || !S_ISDIR(od.st_mode))
      throw ConfigError("output_dir " + settings.output_dir + " does not exist or is not a directory");
    r = submit_to_suricata_socket(path, settings);
  }
  if (r.code == kExitConfig) throw ConfigError(r.message);
  return r;
}

}  // namespace

int run_suricata_stage(const HookFileInfo& file, const SuricataSettings& settings) {
  return run_stage("suricata", [&]() -> int {
    const std::string& path = file.path;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      log::error("suricata: " + path + ": " + errno_text(errno));
      return kExitFailure;
    }
    if (!S_ISREG(st.st_mode)) {
      log::error("suricata: " + path + ": not a regular file");
      return kExitFailure;
    }
    StageOutcome r = hand_over(path, settings);
    std::string line = "suricata: " + path + ": " + r.message;
    if (r.code == kExitOk)
      log::info(line);
    else if (r.code == kExitTempFail)
      log::warning(line + " (retry later)");
    else
      log::error(line);
    return r.code;
  });
}


}  // namespace pcap_ring
