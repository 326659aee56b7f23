// packet-capture: a ring buffer of pcap files on a network interface.
// This file only parses the command line and calls the library.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/capture_flags.h"
#include "stages/cloudshark_stage.h"
#include "config/capture_config.h"
#include "cli/hooks_command.h"
#include "stages/s3_stage.h"
#include "cli/status_command.h"
#include "stages/suricata_stage.h"
#include "common/exit_codes.h"
#include "cli/list_command.h"
#include "common/log.h"
#include "service/run_command.h"

using namespace pcap_ring;

int main(int argc, char** argv) {
  CLI::App app{"packet-capture: a continuous, bounded ring of pcap files on a network interface"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "packet-capture 0.1.0");

  CLI::App* run = app.add_subcommand("run", "Capture into a ring of pcap files until SIGTERM");
  CaptureFlags run_flags(*run);
  run->footer(
      "Environment (classic unit): FILESIZE, FILELIMIT, FILTER, ADDITIONAL_ARGS (extra flags), and the\n"
      "names shown in [env ...] above.\n"
      "Precedence: defaults < packet-capture.conf < IFACE.conf < environment < ADDITIONAL_ARGS < flags.\n"
      "Signals: SIGTERM/SIGINT finish the current file, queue it for the hooks and exit 0;\n"
      "SIGUSR1 starts a new file; SIGHUP reloads the configuration.\n"
      "Exit status: 0 ok, 64 bad command line, 78 bad configuration, 69 capture failed.");

  CLI::App* list = app.add_subcommand("list", "List the finished files of a ring");
  std::string list_dir, list_iface, list_prefix, list_config_dir;
  bool list_json = false;
  list->add_option("-o,--output-dir", list_dir, "Ring directory");
  list->add_option("-i,--interface", list_iface, "Ring of this interface (its directory from the configuration unless --output-dir is given)");
  list->add_option("--prefix", list_prefix, "Only rings with this prefix");
  list->add_option("--config-dir", list_config_dir, "Directory of packet-capture.conf and IFACE.conf");
  list->add_flag("--json", list_json, "JSON array of {file, sequence, first, last, packets, bytes, drops}");

  // Subcommands with callbacks store their exit status here.
  int command_status = kExitOk;
  add_status_command(app, &command_status);
  CLI::App* hooks = app.add_subcommand("hooks", "Run the hook pipeline by hand, or show its backlog");
  hooks->require_subcommand(1);
  add_hooks_commands(*hooks, &command_status);
  CLI::App* hook = app.add_subcommand("hook", "Built-in post-rotate stages, for hooks.d or by hand");
  hook->require_subcommand(1);
  add_cloudshark_hook_command(*hook, &command_status);
  add_s3_hook_command(*hook, &command_status);
  add_suricata_hook_command(*hook, &command_status);

  try {
    app.parse(argc, argv);
    if (hooks->parsed() || hook->parsed() || app.got_subcommand("status")) return command_status;
    if (run->parsed()) {
      RawSettings command_line = run_flags.collect();
      CaptureConfig config = load_capture_config(command_line, current_environment());
      return run_capture(config, [command_line] { return load_capture_config(command_line, current_environment()); });
    }
    if (list->parsed()) {
      ListOptions options;
      options.json = list_json;
      options.prefix = list_prefix;
      options.interface_name = list_iface;
      if (!list_dir.empty()) {
        options.directory = list_dir;
      } else if (!list_iface.empty()) {
        RawSettings raw;
        raw.values["interface"] = list_iface;
        if (!list_config_dir.empty()) raw.values["config_dir"] = list_config_dir;
        CaptureConfig config = load_capture_config(raw, current_environment());
        options.directory = config.output_dir;
        if (options.prefix.empty()) options.prefix = config.prefix;
      } else {
        throw UsageError("list needs --output-dir DIR or --interface IFACE");
      }
      return list_rings(options, std::cout);
    }
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    log::error(std::string(e.what()) + " (see packet-capture --help)");
    return kExitUsage;
  } catch (const StartupError& e) {
    log::error(e.what());
    return e.code();
  } catch (const std::exception& e) {
    log::error(std::string("internal error: ") + e.what());
    return kExitSoftware;
  }
  return kExitUsage;
}
