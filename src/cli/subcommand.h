// How every subcommand is registered: a function adds its CLI::App (flags included) to a
// parent and returns it with the work to run once the command line has been parsed.
// `execute` parses, runs the one subcommand given and turns errors into exit statuses
// (see common/exit_codes.h): a bad flag is 64, a StartupError its own code, anything else 70.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <vector>

namespace pcap_ring {

struct Subcommand {
  CLI::App* app = nullptr;
  std::function<int()> run;  // returns the exit status; may throw StartupError
};

int execute(CLI::App& app, const std::vector<Subcommand>& commands, int argc, const char* const* argv);

}  // namespace pcap_ring
