#include "cli/list_command.h"

#include <fcntl.h>

#include <algorithm>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/ring_selection.h"
#include "common/exit_codes.h"
#include "common/log.h"
#include "common/safe_open.h"
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
    for (const auto& r : index.records())
      if (!options.window || (r.packets && options.window->overlaps(r.first, r.last))) records.push_back(r);
  }

  if (options.json) {
    nlohmann::ordered_json array = nlohmann::ordered_json::array();
    for (const auto& r : records) {
      nlohmann::ordered_json entry = r;
      entry["flow_index"] = is_regular_at(AT_FDCWD, options.directory + "/" + flow_index_file_name(r.file))
                                ? "present"
                                : "missing";
      array.push_back(std::move(entry));
    }
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
  std::string from, to;
};

// --from and --to, each optional: open-ended on the side not given.
TimeWindow list_window(const std::string& from, const std::string& to) {
  TimeWindow window{std::numeric_limits<NanoTime>::min(), std::numeric_limits<NanoTime>::max()};
  auto parse = [](const std::string& flag, const std::string& text) {
    auto t = parse_time_argument(text);
    if (!t) throw UsageError(flag + " '" + text + "': expected RFC 3339 (2026-11-30T10:02:00Z) or Unix seconds");
    return *t;
  };
  if (!from.empty()) window.from = parse("--from", from);
  if (!to.empty()) window.to = parse("--to", to);
  if (window.to <= window.from) throw UsageError("--from '" + from + "' --to '" + to + "': --to must be later than --from");
  return window;
}

int list(const ListArgs& a) {
  auto location = locate_ring(a.ring);
  if (!location) throw UsageError("list needs --output-dir DIR or --interface IFACE");
  ListOptions options;
  options.json = a.json;
  options.directory = location->directory;
  options.prefix = location->prefix;
  options.interface_name = a.ring.interface_name;
  if (!a.from.empty() || !a.to.empty()) options.window = list_window(a.from, a.to);
  return list_rings(options, std::cout);
}

}  // namespace

Subcommand add_list_command(CLI::App& app) {
  auto args = std::make_shared<ListArgs>();
  CLI::App* cmd = app.add_subcommand("list", "List the finished files of a ring");
  add_ring_selection_flags(*cmd, args->ring);
  cmd->add_flag("--json", args->json,
                "JSON array of {file, sequence, first, last, packets, bytes, drops, flow_index: present|missing}");
  cmd->add_option("--from", args->from, "Only files with packets at or after this time (RFC 3339 or Unix seconds)");
  cmd->add_option("--to", args->to, "Only files with packets before this time");
  return {cmd, [args] { return list(*args); }};
}

}  // namespace pcap_ring
