#include "cli/index_command.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/ring_selection.h"
#include "common/exit_codes.h"
#include "common/io_priority.h"
#include "common/log.h"
#include "common/safe_open.h"
#include "extract/ring_catalog.h"
#include "flows/flow_index_file.h"

namespace pcap_ring {
namespace {

struct IndexArgs {
  RingSelection ring;
  bool rebuild = false;
  bool force = false;
};

struct RebuildCounts {
  std::uint64_t valid = 0, built = 0, failed = 0, index_bytes = 0, file_bytes = 0;
};

void rebuild_ring(const CatalogRing& ring, bool force, RebuildCounts* counts) {
  UniqueFd dir(::open(ring.directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid()) throw ConfigError("cannot open ring directory '" + ring.directory + "': " + errno_text(errno));
  for (const auto& file : ring.files) {
    if (file.partial) continue;  // the running capture indexes it when it is finished
    FlowIndex existing;
    std::string error;
    FlowIndexState state = load_flow_index(dir.get(), file.name, &existing, &error);
    if (state == FlowIndexState::kValid && !force) {
      ++counts->valid;
      continue;
    }
    if (state == FlowIndexState::kDamaged) log::warning(error + "; rebuilding it");
    UniqueFd fd = open_regular_at(dir.get(), file.name, O_RDONLY, &error);
    std::uint64_t size = fd.valid() ? index_ring_file(ring.directory, file.name, fd.get(), &error) : 0;
    if (size == 0) {
      log::warning(ring.directory + "/" + file.name + ": no flow index: " + error);
      ++counts->failed;
      continue;
    }
    ++counts->built;
    counts->index_bytes += size;
    // The file's own size: a directory without the ring's index has no record of it.
    struct stat st {};
    if (::fstat(fd.get(), &st) == 0) counts->file_bytes += static_cast<std::uint64_t>(st.st_size);
  }
}

int run_index(const IndexArgs& a) {
  if (!a.rebuild) throw UsageError("index needs --rebuild (the only action it has)");
  auto location = locate_ring(a.ring);
  if (!location) throw UsageError("index needs --output-dir DIR or --interface IFACE");
  std::error_code ec;
  if (!std::filesystem::is_directory(location->directory, ec))
    throw ConfigError("ring directory '" + location->directory + "' does not exist");
  std::string error;
  auto rings = catalog_rings(location->directory, location->prefix, a.ring.interface_name, &error);
  if (!error.empty()) throw ConfigError(error);
  if (rings.empty()) throw ConfigError("no ring in '" + location->directory + "'");
  if (int err = set_idle_io_priority()) log::warning("cannot lower the I/O priority: " + errno_text(err));
  RebuildCounts counts;
  for (const auto& ring : rings) rebuild_ring(ring, a.force, &counts);
  std::cout << "index: " << counts.built << " flow indexes built (" << counts.index_bytes << " bytes for "
            << counts.file_bytes << " bytes of captures), " << counts.valid << " already valid, " << counts.failed
            << " failed\n";
  return counts.failed ? kExitDataErr : kExitOk;
}

}  // namespace

Subcommand add_index_command(CLI::App& app) {
  auto a = std::make_shared<IndexArgs>();
  CLI::App* cmd = app.add_subcommand("index", "Build the flow indexes that finished ring files lack");
  add_ring_selection_flags(*cmd, a->ring);
  cmd->add_flag("--rebuild", a->rebuild, "Build the flow index of each finished file that has none or a damaged one");
  cmd->add_flag("--force", a->force, "With --rebuild: build every flow index again, valid or not");
  return {cmd, [a] { return run_index(*a); }};
}

}  // namespace pcap_ring
