#include "extract/ring_catalog.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

namespace pcap_ring {
namespace {

// A label "<prefix>-<iface>" split at its first '-', as ring file names are read.
std::optional<RingId> ring_of_label(const std::string& label) {
  auto dash = label.find('-');
  if (dash == std::string::npos || dash == 0 || dash + 1 == label.size()) return std::nullopt;
  return RingId{label.substr(0, dash), label.substr(dash + 1)};
}

std::vector<std::string> directory_names(const std::string& directory, std::string* error) {
  std::vector<std::string> names;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(directory, ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec))
    names.push_back(it->path().filename().string());
  if (ec && error) *error = "cannot read directory '" + directory + "': " + ec.message();
  return names;
}

bool matches(const RingId& id, const std::string& prefix, const std::string& interface_name) {
  return (prefix.empty() || id.prefix == prefix) && (interface_name.empty() || id.interface_name == interface_name);
}

}  // namespace

std::vector<CatalogRing> catalog_rings(const std::string& directory, const std::string& prefix,
                                       const std::string& interface_name, std::string* error) {
  std::string list_error;
  std::vector<std::string> names = directory_names(directory, &list_error);
  if (!list_error.empty()) {
    *error = list_error;
    return {};
  }
  std::set<std::string> labels;
  for (const auto& name : names) {
    if (auto label = state_file_ring_label(name, StateFile::kIndex)) labels.insert(*label);
    else if (auto file = parse_any_ring_file_name(name)) {
      if (!file->interface_name.empty()) labels.insert(file->stem.substr(0, file->stem.size() - 1));
    }
  }
  std::vector<CatalogRing> rings;
  for (const auto& label : labels) {
    auto id = ring_of_label(label);
    if (!id || !matches(*id, prefix, interface_name)) continue;
    CatalogRing ring;
    ring.directory = directory;
    ring.id = *id;
    refresh_ring(&ring);
    if (!ring.files.empty()) rings.push_back(std::move(ring));
  }
  return rings;
}

void refresh_ring(CatalogRing* ring) {
  RingIndex index(ring->directory + "/" + state_file_name(ring->id, StateFile::kIndex));
  std::vector<std::string> warnings;
  if (!index.load(&warnings)) warnings.push_back(index.path() + ": cannot be read; its files are read whole");
  ring->warnings = std::move(warnings);
  std::map<std::uint64_t, const FileRecord*> by_seq;
  for (const auto& record : index.records()) by_seq[record.sequence] = &record;

  std::vector<CatalogFile> files;
  for (const auto& name : directory_names(ring->directory, nullptr)) {
    auto parsed = parse_ring_file_name(ring->id, name);
    if (!parsed) continue;
    CatalogFile file{name, parsed->seq, parsed->partial, std::nullopt};
    auto known = by_seq.find(parsed->seq);
    if (!parsed->partial && known != by_seq.end() && known->second->file == name) file.record = *known->second;
    files.push_back(std::move(file));
  }
  std::sort(files.begin(), files.end(), [](const CatalogFile& a, const CatalogFile& b) {
    return a.seq != b.seq ? a.seq < b.seq : a.partial < b.partial;
  });
  ring->files = std::move(files);
}

}  // namespace pcap_ring
