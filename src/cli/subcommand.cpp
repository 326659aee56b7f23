#include "cli/subcommand.h"

#include "common/exit_codes.h"
#include "common/log.h"

namespace pcap_ring {

int execute(CLI::App& app, const std::vector<Subcommand>& commands, int argc, const char* const* argv) {
  try {
    app.parse(argc, argv);
    for (const auto& command : commands)
      if (command.app->parsed()) return command.run();
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

}  // namespace pcap_ring
