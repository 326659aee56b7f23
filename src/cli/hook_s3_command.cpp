#include "cli/hook_s3_command.h"

#include "cli/hook_stage_command.h"
#include "stages/s3_stage.h"

namespace pcap_ring {

Subcommand add_hook_s3_command(CLI::App& hook_app) {
  CLI::App* cmd = hook_app.add_subcommand("s3", "Upload FILE to an S3-compatible object store");
  auto line = add_stage_flags(cmd, settings_for<S3Settings>(), "Directory of packet-capture.conf and IFACE.conf",
                              /*config_dir_first=*/true);
  cmd->footer(
      "Settings: [s3] in CONFIG_DIR/packet-capture.conf and CONFIG_DIR/IFACE.conf, then S3_ENDPOINT, S3_REGION,\n"
      "S3_BUCKET, S3_PREFIX, S3_KEY_TEMPLATE, then flags. Credentials: systemd credentials s3-access-key-id and\n"
      "s3-secret-access-key, else access_key_id_file / secret_access_key_file (root-only files).\n"
      "Exit status: 0 uploaded, 75 retry later (network, timeout, 5xx), 1 refused (4xx), 78 bad settings, 64 bad flags.");
  return {cmd, [line] {
            return run_stage("s3", [&] {
              Environment environment = current_environment();
              HookFileInfo info = hook_file_info_from_environment(line->file, environment);
              S3Settings settings = load_s3_settings(line->flags(), info.interface_name, environment);
              return run_s3_hook(settings, info, environment);
            });
          }};
}

}  // namespace pcap_ring
