#include "cli/hook_suricata_command.h"

#include "cli/hook_stage_command.h"
#include "stages/suricata_stage.h"

namespace pcap_ring {

Subcommand add_hook_suricata_command(CLI::App& hook_app) {
  CLI::App* cmd = hook_app.add_subcommand("suricata", "Hand a finished capture file to Suricata");
  auto line = add_stage_flags(cmd, settings_for<SuricataSettings>(),
                              "Directory of packet-capture.conf and IFACE.conf ([suricata])", /*config_dir_first=*/false);
  cmd->footer(
      "Settings: defaults < packet-capture.conf [suricata] < IFACE.conf [suricata] < SURICATA_SOCKET,\n"
      "SURICATA_CONTINUOUS_DIR < flags. Exit status: 0 handed over; 75 Suricata unreachable, busy or\n"
      "timed out (retry later); 1 Suricata rejected the file; 78 bad settings; 64 bad usage.");
  return {cmd, [line] {
            return run_stage(
                "suricata",
                [&] {
                  Environment environment = current_environment();
                  HookFileInfo info = hook_file_info_from_environment(line->file, environment);
                  SuricataSettings settings = load_suricata_settings(line->flags(), info.interface_name, environment);
                  return run_suricata_stage(info, settings);
                },
                /*name_errors=*/false);
          }};
}

}  // namespace pcap_ring
