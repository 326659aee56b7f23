#include "cli/list_command.h"

#include <algorithm>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/ring_selection.h"
#include "common/exit_codes.h"
#include "common/log.h"
#include "ring/ring_index.h"

namespace pcap_ring {

int list_rings(const ListOptions& options, std::ostream& out) {
  std::error_code ec;
  if (!std::filesystem::is_directory(options.directory, ec))
    throw ConfigError("output directory '" + options.directory + "' does not exist; expected a ring directory");
  std::vector<std::string> index_paths =
      ring_state_files(options.directory, StateFile::kIndex, options.prefix, options.interface_name);

  std::vector<FileRecord> records;
  for (const auto& path : index_paths) {
    RingIndex index(path);
    std::vector<std::string> warnings;
    if (!index.load(&warnings)) log::warning(path + ": cannot be read");
    for (const auto& w : warnings) log::warning(w);
    records.insert(records.end(), index.records().begin(), index.records().end());
  }

  if (options.json) {
    nlohmann::ordered_json array = records;
    out << array.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return kExitOk;
  }
  out << std::left << std::setw(32) << "FILE" << " " << std::setw(30) << "FIRST" << " "
      << std::setw(30) << "LAST" << " " << std::right << std::setw(10) << "PACKETS" << " "
      << std::setw(12) << "BYTES" << " " << std::setw(8) << "DROPS" << "\n";
  for (const auto& r : records) {
    std::string first = r.packets ? format_rfc3339_ns(r.first) : "-";
    std::string last = r.packets ? format_rfc3339_ns(r.last) : "-";
    out << std::left << std::setw(32) << r.file << " " << std::setw(30) << first << " "
        << std::setw(30) << last << " " << std::right << std::setw(10) << r.packets << " "
        << std::setw(12) << r.bytes << " " << std::setw(8) << r.drops << "\n";
  }
  return kExitOk;
}

namespace {

struct ListArgs {
  RingSelection ring;
  bool json = false;
};

int list(const ListArgs& a) {
  auto location = locate_ring(a.ring);
  if (!location) throw UsageError("list needs --output-dir DIR or --interface IFACE");
  ListOptions options;
  options.json = a.json;
  options.directory = location->directory;
  options.prefix = location->prefix;
  options.interface_name = a.ring.interface_name;
  return list_rings(options, std::cout);
}

}  // namespace

Subcommand add_list_command(CLI::App& app) {
  auto args = std::make_shared<ListArgs>();
  CLI::App* cmd = app.add_subcommand("list", "List the finished files of a ring");
  add_ring_selection_flags(*cmd, args->ring);
  cmd->add_flag("--json", args->json, "JSON array of {file, sequence, first, last, packets, bytes, drops}");
  return {cmd, [args] { return list(*args); }};
}

}  // namespace pcap_ring
