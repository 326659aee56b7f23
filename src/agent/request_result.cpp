#include "agent/request_result.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/timex.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include "common/atomic_file.h"
#include "common/unique_fd.h"
#include "extract/extractor.h"
#include "stages/s3_checksum.h"

namespace pcap_ring {
namespace {

constexpr const char* kCaptureName = "capture.pcapng";

std::string date_path(NanoTime t) {
  std::time_t seconds = static_cast<std::time_t>(t / kNanosPerSecond);
  std::tm tm {};
  ::gmtime_r(&seconds, &tm);
  char text[16];
  std::strftime(text, sizeof text, "%Y/%m/%d", &tm);
  return text;
}

// Creates each level below `base` that is missing, refusing a symlink or a non-directory at
// any level, so that a name planted below the results directory cannot redirect a result.
int make_result_directory(const std::string& base, const std::string& relative) {
  if (::mkdir(base.c_str(), 0750) != 0 && errno != EEXIST) return errno;
  UniqueFd dir(::open(base.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid()) return errno;
  std::size_t start = 0;
  while (start < relative.size()) {
    std::size_t slash = relative.find('/', start);
    std::string part = relative.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    start = slash == std::string::npos ? relative.size() : slash + 1;
    if (part.empty()) continue;
    if (::mkdirat(dir.get(), part.c_str(), 0750) != 0 && errno != EEXIST) return errno;
    UniqueFd next(::openat(dir.get(), part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next.valid()) return errno;
    dir = std::move(next);
  }
  return 0;
}

// A try cut short by a crash leaves its temporary file, and maybe a manifest that describes
// an earlier file: both go before the request is answered again, so a collector never sees a
// manifest that does not describe the capture beside it.
int clear_earlier_try(const std::string& directory) {
  DIR* dir = ::opendir(directory.c_str());
  if (dir == nullptr) return errno;
  const std::string temporary_prefix = std::string(".") + kCaptureName + ".";
  int result = 0;
  while (dirent* entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    if (name.rfind(temporary_prefix, 0) == 0 && ::unlinkat(::dirfd(dir), name.c_str(), 0) != 0 && errno != ENOENT)
      result = errno;
  }
  ::closedir(dir);
  if (::unlink((directory + "/manifest.json").c_str()) != 0 && errno != ENOENT) result = errno;
  return result;
}

// Whether the kernel believes the clock is synchronised (NTP, chrony): a collector comparing
// nodes' windows needs to know.
std::string clock_state() {
  struct timex tx {};
  int state = ::adjtimex(&tx);
  if (state < 0) return "unknown";
  return state == TIME_ERROR ? "unsynchronised" : "synchronised";
}

nlohmann::json optional_time(const std::optional<NanoTime>& t) {
  return t ? nlohmann::json(format_rfc3339_ns(*t)) : nlohmann::json(nullptr);
}

nlohmann::json coverage_json(const ExtractReport& report) {
  return {{"from", optional_time(report.coverage_from())},
          {"to", optional_time(report.coverage_to())},
          {"complete", report.complete()}};
}

}  // namespace

std::string result_directory(const std::string& results_dir, NanoTime window_from, const std::string& id,
                             const std::string& node, const std::string& interface_name) {
  return results_dir + "/" + date_path(window_from) + "/" + id + "/" + node + "/" + interface_name;
}

InterfaceResult write_interface_result(const std::string& results_dir, const InterfaceJob& job) {
  InterfaceResult result;
  const AgentRequest& request = *job.request;
  result.directory = result_directory(results_dir, job.window.from, request.id, job.node, job.interface_name);
  const std::string relative = result.directory.substr(results_dir.size() + 1);
  if (int err = make_result_directory(results_dir, relative)) {
    result.state = "failed";
    result.reason = "cannot create " + result.directory + ": " + errno_text(err);
    return result;
  }
  if (int err = clear_earlier_try(result.directory)) {
    result.state = "failed";
    result.reason = "cannot clear an earlier try in " + result.directory + ": " + errno_text(err);
    return result;
  }
  const std::string final_path = result.directory + "/" + kCaptureName;
  std::string temporary = result.directory + "/." + kCaptureName + ".XXXXXX";
  UniqueFd fd(::mkostemp(temporary.data(), O_CLOEXEC));
  if (!fd.valid()) {
    result.state = "failed";
    result.reason = "cannot create a file in " + result.directory + ": " + errno_text(errno);
    return result;
  }
  ExtractRequest extraction;
  extraction.rings = job.rings;
  extraction.window = job.window;
  extraction.filter = request.bpf;
  extraction.limits.max_packets = request.packets;
  extraction.limits.max_bytes = request.bytes;
  extraction.limits.snaplen = request.snap;
  extraction.format = request.format == "pcap" ? FileFormat::kPcap : FileFormat::kPcapng;
  extraction.host_name = job.node;
  extraction.idle_timeout = job.idle_timeout;
  extraction.stop = job.stop;
  auto fail = [&](const std::string& why) {
    ::unlink(temporary.c_str());
    result.state = "failed";
    result.reason = why;
    return result;
  };
  try {
    result.report = extract(extraction, fd.get());
  } catch (const std::exception& e) {  // a filter that does not compile
    return fail(std::string("bpf: ") + e.what());
  }
  if (!result.report.error.empty()) return fail(result.report.error);
  if (::fsync(fd.get()) != 0) return fail("cannot sync the result: " + errno_text(errno));
  RangeHashes hashes;
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return fail("cannot stat the result: " + errno_text(errno));
  result.file_size = static_cast<std::uint64_t>(st.st_size);
  if (int err = hash_range(fd.get(), 0, result.file_size, &hashes, nullptr)) return fail("cannot hash the result: " + errno_text(err));
  result.file_sha256 = hashes.sha256_hex;
  if (::fchmod(fd.get(), 0640) != 0 || ::rename(temporary.c_str(), final_path.c_str()) != 0)
    return fail("cannot put the result in place: " + errno_text(errno));
  result.state = result.report.complete() ? "done" : "partial";

  nlohmann::json limits = nlohmann::json::object();
  if (request.packets) limits["packets"] = *request.packets;
  if (request.bytes) limits["bytes"] = *request.bytes;
  if (request.snap) limits["snap"] = *request.snap;
  nlohmann::json manifest = {
      {"request", {{"id", request.id}, {"sha256", job.request_sha256}, {"key_id", job.key_id},
                   {"alertid", request.alertid}, {"customer", request.customer}, {"tags", request.tags}}},
      {"node", job.node},
      {"interface", job.interface_name},
      {"state", result.state},
      // The window as answered: an idle timeout ends a live request's window where it fired.
      {"window", {{"from", format_rfc3339_ns(result.report.window.from)}, {"to", format_rfc3339_ns(result.report.window.to)}}},
      {"coverage", coverage_json(result.report)},
      {"filter", request.bpf},
      {"limits", limits},
      {"limit_hit", result.report.limit},
      {"packets", result.report.packets_written},
      {"bytes", result.report.bytes_written},
      {"drops", result.report.drops()},
      {"clock", clock_state()},
      {"objects", nlohmann::json::array({{{"key", kCaptureName}, {"size", result.file_size}, {"sha256", result.file_sha256}}})},
  };
  if (int err = write_file_atomically(result.directory + "/manifest.json",
                                      manifest.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n")) {
    result.state = "failed";
    result.reason = "cannot write manifest.json: " + errno_text(err);
  }
  return result;
}

nlohmann::json result_answer(const InterfaceJob& job, const InterfaceResult& result) {
  nlohmann::json answer = {{"id", job.request->id}, {"node", job.node}, {"interface", job.interface_name},
                           {"state", result.state}};
  if (!result.reason.empty()) answer["reason"] = result.reason;
  answer["packets"] = result.report.packets_written;
  answer["bytes"] = result.report.bytes_written;
  answer["coverage"] = coverage_json(result.report);
  if (!result.report.limit.empty()) answer["limit"] = result.report.limit;
  if (result.state != "failed") answer["result"] = result.directory;
  return answer;
}

}  // namespace pcap_ring
