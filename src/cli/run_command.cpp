#include "cli/run_command.h"

#include <memory>

#include "cli/capture_flags.h"
#include "service/run_command.h"

namespace pcap_ring {

Subcommand add_run_command(CLI::App& app) {
  CLI::App* run = app.add_subcommand("run", "Capture into a ring of pcap files until SIGTERM");
  auto flags = std::make_shared<CaptureFlags>(*run);
  run->footer(
      "Environment (classic unit): FILESIZE, FILELIMIT, FILTER, ADDITIONAL_ARGS (extra flags), and the\n"
      "names shown in [env ...] above.\n"
      "Precedence: defaults < packet-capture.conf < IFACE.conf < environment < ADDITIONAL_ARGS < flags.\n"
      "Signals: SIGTERM/SIGINT finish the current file, queue it for the hooks and exit 0;\n"
      "SIGUSR1 starts a new file; SIGHUP reloads the configuration.\n"
      "Exit status: 0 ok, 64 bad command line, 78 bad configuration, 69 capture failed.");
  return {run, [flags] {
            RawSettings command_line = flags->collect();
            CaptureConfig config = load_capture_config(command_line, current_environment());
            return run_capture(config,
                               [command_line] { return load_capture_config(command_line, current_environment()); });
          }};
}

}  // namespace pcap_ring
