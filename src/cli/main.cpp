// packet-capture: a ring buffer of pcap files on a network interface.
// This file only wires the subcommands together; each lives in its own file.
#include <CLI/CLI.hpp>

#include "cli/agent_command.h"
#include "cli/extract_command.h"
#include "cli/hook_cloudshark_command.h"
#include "cli/hook_s3_command.h"
#include "cli/hook_suricata_command.h"
#include "cli/hooks_command.h"
#include "cli/index_command.h"
#include "cli/keygen_command.h"
#include "cli/list_command.h"
#include "cli/request_command.h"
#include "cli/run_command.h"
#include "cli/status_command.h"
#include "cli/subcommand.h"

using namespace pcap_ring;

int main(int argc, char** argv) {
  CLI::App app{"packet-capture: a continuous, bounded ring of pcap files on a network interface"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "packet-capture 0.1.0");

  std::vector<Subcommand> commands;
  commands.push_back(add_run_command(app));
  commands.push_back(add_list_command(app));
  commands.push_back(add_status_command(app));
  commands.push_back(add_extract_command(app));
  commands.push_back(add_index_command(app));
  commands.push_back(add_keygen_command(app));
  for (auto& command : add_agent_commands(app)) commands.push_back(std::move(command));
  commands.push_back(add_request_command(app));
  CLI::App* hooks = app.add_subcommand("hooks", "Run the hook pipeline by hand, or show its backlog");
  hooks->require_subcommand(1);
  commands.push_back(add_hooks_run_command(*hooks));
  commands.push_back(add_hooks_status_command(*hooks));
  CLI::App* hook = app.add_subcommand("hook", "Built-in post-rotate stages, for hooks.d or by hand");
  hook->require_subcommand(1);
  commands.push_back(add_hook_cloudshark_command(*hook));
  commands.push_back(add_hook_s3_command(*hook));
  commands.push_back(add_hook_suricata_command(*hook));
  return execute(app, commands, argc, argv);
}
