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
namespace {

namespace fs = std::filesystem;

constexpr const char* kDefaultConfigDir = "/etc/packet-capture";

// ---------------------------------------------------------------------------------------------
// Settings

std::optional<double> parse_seconds(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(text.c_str(), &end);
  if (errno != 0 || end != text.c_str() + text.size() || !std::isfinite(v) || v <= 0 || v > 86400)
    return std::nullopt;
  return v;
}

constexpr const char* kSecondsAllowed = "a number of seconds, > 0 and <= 86400";

// Applies one layer's value for `key`; `where` prefixes errors ("file:line: " or "VAR=").
// `relative_ok`: relative paths are resolved against the current directory (flags only).
void apply_setting(SuricataSettings& s, const std::string& key, const std::string& value,
                   const std::string& where, bool relative_ok, ExitCode code) {
  auto path_value = [&](std::string* field, const char* deflt) {
    if (value.empty()) {
      *field = deflt;
      return;
    }
    if (value.front() != '/') {
      if (!relative_ok)
        throw StartupError(code, where + key + " = " + value + ": must be an absolute path");
      std::error_code ec;
      fs::path abs = fs::absolute(value, ec);
      *field = ec ? value : abs.lexically_normal().string();
      return;
    }
    *field = fs::path(value).lexically_normal().string();
  };
  if (key == "socket") {
    path_value(&s.socket_path, kDefaultSuricataSocket);
    if (s.socket_path.size() >= sizeof(sockaddr_un{}.sun_path))
      throw StartupError(code, where + "socket = " + value + ": path too long for a unix socket (max " +
                                   std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) + " bytes)");
  } else if (key == "output_dir") {
    path_value(&s.output_dir, "");
  } else if (key == "continuous_dir") {
    path_value(&s.continuous_dir, "");
  } else if (key == "timeout") {
    if (value.empty()) {
      s.timeout_seconds = kDefaultSuricataTimeout;
      return;
    }
    auto v = parse_seconds(value);
    if (!v) throw StartupError(code, where + "timeout = " + value + ": allowed: " + kSecondsAllowed);
    s.timeout_seconds = *v;
  }
}

void apply_ini(SuricataSettings& s, const std::string& path) {
  auto file = read_ini_file(path, false);
  if (!file) return;
  for (const auto& e : file->entries)
    if (e.section == "suricata") apply_setting(s, e.key, e.value, file->where(e), false, kExitConfig);
}

bool safe_interface_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos;
}


}  // namespace

// ---------------------------------------------------------------------------------------------

SuricataSettings load_suricata_settings(const SuricataFlags& flags, const std::string& interface_name,
                                        const std::map<std::string, std::string>& environment) {
  auto env = [&](const char* name) -> const std::string* {
    auto it = environment.find(name);
    return it == environment.end() ? nullptr : &it->second;
  };
  std::string config_dir = kDefaultConfigDir;
  if (const std::string* v = env("CONFIG_DIR"); v && !v->empty()) config_dir = *v;
  if (!flags.config_dir.empty()) config_dir = flags.config_dir;

  SuricataSettings s;
  apply_ini(s, config_dir + "/packet-capture.conf");
  if (safe_interface_name(interface_name)) apply_ini(s, config_dir + "/" + interface_name + ".conf");
  if (const std::string* v = env("SURICATA_SOCKET")) apply_setting(s, "socket", *v, "SURICATA_SOCKET: ", false, kExitConfig);
  if (const std::string* v = env("SURICATA_CONTINUOUS_DIR"))
    apply_setting(s, "continuous_dir", *v, "SURICATA_CONTINUOUS_DIR: ", false, kExitConfig);
  if (!flags.socket.empty()) apply_setting(s, "socket", flags.socket, "--socket: ", true, kExitUsage);
  if (!flags.output_dir.empty()) apply_setting(s, "output_dir", flags.output_dir, "--output-dir: ", true, kExitUsage);
  if (!flags.continuous_dir.empty())
    apply_setting(s, "continuous_dir", flags.continuous_dir, "--continuous-dir: ", true, kExitUsage);
  if (!flags.timeout.empty()) apply_setting(s, "timeout", flags.timeout, "--timeout: ", true, kExitUsage);
  return s;
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

void add_suricata_hook_command(CLI::App& hook_app, int* exit_status) {
  CLI::App* sub = hook_app.add_subcommand("suricata", "Hand a finished capture file to Suricata");
  auto flags = std::make_shared<SuricataFlags>();
  auto file = std::make_shared<std::string>();
  sub->add_option("FILE", *file, "Finished capture file")->required();
  sub->add_option("--socket", flags->socket, std::string("Suricata's unix command socket (default ") +
                                                  kDefaultSuricataSocket + "; env SURICATA_SOCKET)");
  sub->add_option("--output-dir", flags->output_dir, "Directory Suricata logs this file's alerts into (socket mode)");
  sub->add_option("--continuous-dir", flags->continuous_dir,
                  "Link the file into this directory for `suricata -r DIR --pcap-file-continuous` instead "
                  "(env SURICATA_CONTINUOUS_DIR)");
  sub->add_option("--timeout", flags->timeout, "Seconds to wait for Suricata's replies (default 30)");
  sub->add_option("--config-dir", flags->config_dir, "Directory of packet-capture.conf and IFACE.conf ([suricata])");
  sub->footer(
      "Settings: defaults < packet-capture.conf [suricata] < IFACE.conf [suricata] < SURICATA_SOCKET,\n"
      "SURICATA_CONTINUOUS_DIR < flags. Exit status: 0 handed over; 75 Suricata unreachable, busy or\n"
      "timed out (retry later); 1 Suricata rejected the file; 78 bad settings; 64 bad usage.");
  sub->callback([flags, file, exit_status]() {
    try {
      auto env = current_environment();
      HookFileInfo info = hook_file_info_from_environment(*file, env);
      SuricataSettings settings = load_suricata_settings(*flags, info.interface_name, env);
      *exit_status = run_suricata_stage(info, settings);
    } catch (const StartupError& e) {
      log::error(e.what());
      *exit_status = e.code();
    } catch (const std::exception& e) {
      log::error(std::string("suricata: internal error: ") + e.what());
      *exit_status = kExitSoftware;
    }
  });
}

}  // namespace pcap_ring
