#include "flows/flow_index_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "common/atomic_file.h"
#include "common/safe_open.h"
#include "flows/flow_index_builder.h"
#include "ring/ring_names.h"

namespace pcap_ring {
namespace {

// Far above any real index (about 2 % of a file of at most 1 TB would be more, but files
// that large are not rotated rings); a larger file is damaged, not read into memory.
constexpr std::uint64_t kMaxIndexBytes = 1ull << 30;

}  // namespace

int write_flow_index(const std::string& directory, const std::string& ring_file, const std::vector<std::uint8_t>& index) {
  return write_file_atomically(directory + "/" + flow_index_file_name(ring_file),
                               std::string(index.begin(), index.end()));
}

std::uint64_t index_ring_file(const std::string& directory, const std::string& ring_file, int fd, std::string* error) {
  std::vector<std::uint8_t> index;
  if (!build_flow_index_fd(fd, &index, error)) return 0;
  if (int err = write_flow_index(directory, ring_file, index); err != 0) {
    *error = "cannot write " + flow_index_file_name(ring_file) + ": " + errno_text(err);
    return 0;
  }
  return index.size();
}

FlowIndexState load_flow_index(int dir_fd, const std::string& ring_file, FlowIndex* index, std::string* error) {
  const std::string name = flow_index_file_name(ring_file);
  std::string why;
  UniqueFd fd = open_regular_at(dir_fd, name, O_RDONLY, &why);
  if (!fd.valid()) {
    if (errno == ENOENT) return FlowIndexState::kMissing;
    *error = name + ": " + why;
    return FlowIndexState::kDamaged;
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || static_cast<std::uint64_t>(st.st_size) > kMaxIndexBytes) {
    *error = name + ": unreadable or larger than " + std::to_string(kMaxIndexBytes) + " bytes";
    return FlowIndexState::kDamaged;
  }
  const auto size = static_cast<std::size_t>(st.st_size);
  std::uint8_t* bytes = index->buffer(size);
  std::size_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd.get(), bytes + done, size - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      *error = name + ": read: " + (n < 0 ? errno_text(errno) : std::string("shorter than its size"));
      return FlowIndexState::kDamaged;
    }
    done += static_cast<std::size_t>(n);
  }
  if (!index->parse_buffer(size, &why)) {
    *error = name + ": " + why;
    return FlowIndexState::kDamaged;
  }
  return FlowIndexState::kValid;
}

std::uint64_t flow_index_size(int dir_fd, const std::string& ring_file) {
  struct stat st {};
  if (::fstatat(dir_fd, flow_index_file_name(ring_file).c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
    return 0;
  return static_cast<std::uint64_t>(st.st_size);
}

}  // namespace pcap_ring
