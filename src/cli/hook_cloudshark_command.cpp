#include "cli/hook_cloudshark_command.h"

#include "cli/hook_stage_command.h"
#include "stages/cloudshark_stage.h"

namespace pcap_ring {

Subcommand add_hook_cloudshark_command(CLI::App& hook_app) {
  CLI::App* cmd = hook_app.add_subcommand("cloudshark", "Upload FILE to CloudShark (ring mode: mirror the ring)");
  auto line = add_stage_flags(cmd, settings_for<CloudSharkSettings>(), "Directory of packet-capture.conf and IFACE.conf",
                              /*config_dir_first=*/true);
  cmd->footer(
      "Settings: [cloudshark] in CONFIG_DIR/packet-capture.conf and CONFIG_DIR/IFACE.conf, then CLOUDSHARK_URL,\n"
      "then flags. Token: systemd credential cloudshark-token, else token_file (a root-only file).\n"
      "Exit status: 0 uploaded, 75 retry later (network, timeout, 5xx), 1 refused (4xx), 78 bad settings, 64 bad flags.");
  return {cmd, [line] {
            return run_stage("cloudshark", [&] {
              Environment environment = current_environment();
              HookFileInfo info = hook_file_info_from_environment(line->file, environment);
              CloudSharkSettings settings = load_cloudshark_settings(line->flags(), info.interface_name, environment);
              return run_cloudshark_hook(settings, info, environment);
            });
          }};
}

}  // namespace pcap_ring
