#include "stages/suricata_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>

#include "common/unique_fd.h"
#include "stages/stage_files.h"

namespace pcap_ring {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr std::size_t kMaxReply = 1 << 20;  // a reply larger than this is not Suricata's

int remaining_ms(SteadyClock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now()).count();
  if (left <= 0) return 0;
  return left > 3'600'000 ? 3'600'000 : static_cast<int>(left);
}

// Waits for `events` on fd until the deadline: 0 ready, ETIMEDOUT, or an errno value.
int wait_for(int fd, short events, SteadyClock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int ms = remaining_ms(deadline);
    if (ms == 0) return ETIMEDOUT;
    int rc = ::poll(&p, 1, ms);
    if (rc < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (rc == 0) return ETIMEDOUT;
    return 0;
  }
}

int send_all(int fd, const std::string& data, SteadyClock::time_point deadline) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (int err = wait_for(fd, POLLOUT, deadline)) return err;
        continue;
      }
      return errno;
    }
    done += static_cast<std::size_t>(n);
  }
  return 0;
}

// Reads until the buffer holds one complete JSON value, the peer closes, or the deadline.
StageOutcome read_reply(int fd, SteadyClock::time_point deadline, const char* step, SuricataReply* reply) {
  std::string buffer;
  char chunk[4096];
  for (;;) {
    if (int err = wait_for(fd, POLLIN, deadline)) {
      if (err == ETIMEDOUT)
        return {kExitTempFail, std::string("no complete reply to ") + step + " within the timeout" +
                                   (buffer.empty() ? "" : " (got '" + buffer.substr(0, 200) + "')")};
      return {kExitTempFail, errno_reason("poll", err)};
    }
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      return {kExitTempFail, errno_reason("reading the reply", errno)};
    }
    if (n == 0)
      return {kExitTempFail, std::string("Suricata closed the connection before answering ") + step +
                                 (buffer.empty() ? "" : " (partial reply '" + buffer.substr(0, 200) + "')")};
    buffer.append(chunk, static_cast<std::size_t>(n));
    if (buffer.size() > kMaxReply) return {kExitTempFail, std::string("reply to ") + step + " too large"};
    *reply = parse_suricata_reply(buffer);
    if (reply->state == SuricataReply::State::kMalformed)
      return {kExitTempFail, std::string("unexpected reply to ") + step + ": " + reply->message};
    if (reply->state != SuricataReply::State::kIncomplete) return {kExitOk, ""};
  }
}

}  // namespace

SuricataReply parse_suricata_reply(std::string_view buffer) {
  using State = SuricataReply::State;
  std::size_t first = buffer.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {State::kIncomplete, ""};
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(buffer);
  } catch (const nlohmann::json::parse_error& e) {
    // An error at the very end of the input means the value has not fully arrived yet.
    if (e.byte >= buffer.size()) return {State::kIncomplete, ""};
    return {State::kMalformed, "not JSON: '" + std::string(buffer.substr(0, 200)) + "'"};
  }
  if (!j.is_object() || !j.contains("return") || !j["return"].is_string())
    return {State::kMalformed, "no \"return\" in '" + std::string(buffer.substr(0, 200)) + "'"};
  std::string message;
  if (j.contains("message")) message = j["message"].is_string() ? j["message"].get<std::string>() : j["message"].dump();
  const std::string& ret = j["return"].get_ref<const std::string&>();
  if (ret == "OK") return {State::kOk, message};
  if (ret == "NOK") return {State::kError, message.empty() ? "NOK" : message};
  return {State::kMalformed, "unknown \"return\": \"" + ret + "\""};
}

std::string suricata_version_request() { return nlohmann::json{{"version", "0.2"}}.dump(); }

std::string suricata_pcap_file_request(const std::string& filename, const std::string& output_dir) {
  nlohmann::json j = {{"command", "pcap-file"}, {"arguments", {{"filename", filename}, {"output-dir", output_dir}}}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

StageOutcome submit_over_suricata_socket(const std::string& file, const SuricataEndpoint& endpoint) {
  auto deadline = SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(
                                     std::chrono::duration<double>(endpoint.timeout_seconds));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (endpoint.socket_path.size() >= sizeof addr.sun_path)
    return {kExitConfig, "socket path too long: " + endpoint.socket_path};
  std::memcpy(addr.sun_path, endpoint.socket_path.c_str(), endpoint.socket_path.size() + 1);

  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return {kExitTempFail, errno_reason("socket", errno)};
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    if (err == EINPROGRESS || err == EAGAIN) {  // listen backlog full: Suricata busy
      return {kExitTempFail, "Suricata at " + endpoint.socket_path + " is busy (" + errno_text(err) + ")"};
    }
    return {kExitTempFail, "cannot reach Suricata at " + endpoint.socket_path + ": " + errno_text(err)};
  }

  if (int err = send_all(fd.get(), suricata_version_request(), deadline))
    return {kExitTempFail, errno_reason("sending the version handshake", err)};
  SuricataReply reply;
  StageOutcome r = read_reply(fd.get(), deadline, "the version handshake", &reply);
  if (r.code != kExitOk) return r;
  if (reply.state != SuricataReply::State::kOk)
    return {kExitTempFail, "Suricata refused protocol version 0.2: " + reply.message};

  if (int err = send_all(fd.get(), suricata_pcap_file_request(file, endpoint.output_dir), deadline))
    return {kExitTempFail, errno_reason("sending pcap-file", err)};
  r = read_reply(fd.get(), deadline, "pcap-file", &reply);
  if (r.code != kExitOk) return r;
  if (reply.state != SuricataReply::State::kOk) return {kExitFailure, "Suricata rejected the file: " + reply.message};
  return {kExitOk, "queued by Suricata" + (reply.message.empty() ? "" : ": " + reply.message)};
}

}  // namespace pcap_ring
