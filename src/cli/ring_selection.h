// Which ring the read-only subcommands (status, list, hooks status) look at: a directory given
// with --output-dir, or the configured output directory of an interface, narrowed to one
// prefix when asked. One set of flags and one rule, so the commands agree on both.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

namespace pcap_ring {

struct RingSelection {
  std::string output_dir;
  std::string interface_name;
  std::string prefix;
  std::string config_dir;
};

// `status eth0` names the interface as a word; `list -i eth0` as an option.
enum class InterfaceArgument { kPositional, kOption };

struct RingSelectionFlags {
  InterfaceArgument interface = InterfaceArgument::kOption;
  bool prefix = true;  // offer --prefix
};

// Adds -o/--output-dir, the interface, --prefix (when `flags` asks) and --config-dir to `cmd`,
// stored in `selection` (which must outlive the parse).
void add_ring_selection_flags(CLI::App& cmd, RingSelection& selection, RingSelectionFlags flags = {});

struct RingLocation {
  std::string directory;
  std::string prefix;  // "" = every prefix
};

// --output-dir and --prefix as given; else the interface's output directory from the
// configuration (and its prefix unless --prefix was given); nothing when neither names a ring.
// Throws StartupError for a bad configuration.
std::optional<RingLocation> locate_ring(const RingSelection& selection);

}  // namespace pcap_ring
