#include "capture/pcap_source.h"

#include <fcntl.h>
#include <poll.h>

#include <cstdio>

#include "common/exit_codes.h"
#include "common/unique_fd.h"

namespace pcap_ring {
namespace {

void deliver(u_char* user, const struct pcap_pkthdr* h, const u_char* bytes) {
  auto* sink = reinterpret_cast<PacketSink*>(user);
  // The handles are opened with nanosecond precision, so tv_usec holds nanoseconds.
  NanoTime ts = static_cast<NanoTime>(h->ts.tv_sec) * kNanosPerSecond + h->ts.tv_usec;
  sink->on_packet(ts, h->caplen, h->len, bytes);
}

void apply_filter(pcap_t* p, const std::string& filter, const std::string& what) {
  if (filter.empty()) return;
  struct bpf_program program {};
  if (pcap_compile(p, &program, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0)
    throw ConfigError("filter '" + filter + "' does not compile: " + pcap_geterr(p) +
                      " (expected pcap-filter syntax, see man 7 pcap-filter)");
  int rc = pcap_setfilter(p, &program);
  pcap_freecode(&program);
  if (rc != 0) throw ConfigError("filter '" + filter + "' cannot be set on " + what + ": " + pcap_geterr(p));
}

}  // namespace

PcapSource::PcapSource(PcapHandle handle, bool live) : handle_(std::move(handle)), live_(live) {
  if (live_) {
    fd_ = pcap_get_selectable_fd(handle_.get());
    // libpcap leaves its socket inheritable; child processes (hooks) must never get it.
    if (fd_ >= 0) fcntl(fd_, F_SETFD, fcntl(fd_, F_GETFD) | FD_CLOEXEC);
  }
}

std::unique_ptr<PcapSource> PcapSource::open_live(const LiveOptions& o) {
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  PcapHandle p(pcap_create(o.interface_name.c_str(), errbuf));
  if (!p) throw ConfigError("interface '" + o.interface_name + "': " + errbuf);
  pcap_set_snaplen(p.get(), static_cast<int>(o.snaplen));
  pcap_set_promisc(p.get(), o.promisc ? 1 : 0);
  pcap_set_timeout(p.get(), o.block_timeout_ms);
  pcap_set_buffer_size(p.get(), static_cast<int>(o.buffer_bytes));
  pcap_set_immediate_mode(p.get(), 0);  // let the kernel fill whole blocks: fewer wake-ups
  if (pcap_set_tstamp_precision(p.get(), PCAP_TSTAMP_PRECISION_NANO) != 0)
    throw ConfigError("interface '" + o.interface_name + "': nanosecond timestamps not supported");
  int rc = pcap_activate(p.get());
  std::string warning;
  if (rc < 0) {
    std::string detail = pcap_geterr(p.get());
    if (rc == PCAP_ERROR_NO_SUCH_DEVICE)
      throw ConfigError("interface '" + o.interface_name + "' does not exist (" + detail +
                        "); expected a network interface name as in 'ip link'");
    if (rc == PCAP_ERROR_PERM_DENIED)
      throw ConfigError("interface '" + o.interface_name + "': permission denied (" + detail +
                        "); capture needs CAP_NET_RAW");
    throw ConfigError("interface '" + o.interface_name + "' cannot be opened: " +
                      (detail.empty() ? pcap_statustostr(rc) : detail));
  }
  if (rc > 0) warning = std::string(pcap_statustostr(rc)) + ": " + pcap_geterr(p.get());
  apply_filter(p.get(), o.filter, "interface '" + o.interface_name + "'");
  if (pcap_setnonblock(p.get(), 1, errbuf) != 0)
    throw ConfigError("interface '" + o.interface_name + "': " + errbuf);
  auto source = std::unique_ptr<PcapSource>(new PcapSource(std::move(p), true));
  source->activation_warning_ = warning;
  return source;
}

std::unique_ptr<PcapSource> PcapSource::open_file(const std::string& path, const std::string& filter) {
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  // A file that cannot be opened is a configuration error; one that opens but is not a
  // capture file is bad data.
  FILE* file = std::fopen(path.c_str(), "rbe");
  if (!file)
    throw ConfigError("--read '" + path + "': " + errno_text(errno) + " (expected a readable pcap or pcapng file)");
  PcapHandle p(pcap_fopen_offline_with_tstamp_precision(file, PCAP_TSTAMP_PRECISION_NANO, errbuf));
  if (!p) {
    std::fclose(file);  // libpcap closes it only on success
    throw StartupError(kExitDataErr, "--read '" + path + "': " + errbuf + " (expected a pcap or pcapng file)");
  }
  apply_filter(p.get(), filter, "file '" + path + "'");
  return std::unique_ptr<PcapSource>(new PcapSource(std::move(p), false));
}

bool PcapSource::set_filter(const std::string& filter, std::string* error) {
  try {
    apply_filter(handle_.get(), filter.empty() ? std::string("") : filter, "the capture");
    if (filter.empty()) {
      // An empty filter passes everything: compile "" explicitly, as apply_filter skips it.
      struct bpf_program program {};
      if (pcap_compile(handle_.get(), &program, "", 1, PCAP_NETMASK_UNKNOWN) != 0 ||
          pcap_setfilter(handle_.get(), &program) != 0) {
        *error = pcap_geterr(handle_.get());
        pcap_freecode(&program);
        return false;
      }
      pcap_freecode(&program);
    }
  } catch (const std::exception& e) {
    *error = e.what();
    return false;
  }
  return true;
}

int PcapSource::linktype() const { return pcap_datalink(handle_.get()); }
std::uint32_t PcapSource::snaplen() const { return static_cast<std::uint32_t>(pcap_snapshot(handle_.get())); }

DispatchStatus PcapSource::dispatch(PacketSink& sink, int wait_ms) {
  auto* user = reinterpret_cast<u_char*>(&sink);
  if (!live_) {
    int n = pcap_dispatch(handle_.get(), 4096, deliver, user);
    if (n == 0) return DispatchStatus::kEndOfInput;
    if (n == PCAP_ERROR) {
      last_error_ = pcap_geterr(handle_.get());
      return DispatchStatus::kError;
    }
    return DispatchStatus::kOk;
  }
  struct pollfd pfd {fd_, POLLIN, 0};
  int rc = ::poll(&pfd, 1, wait_ms);
  if (rc < 0 && errno != EINTR) {
    last_error_ = "poll: " + errno_text(errno);
    return DispatchStatus::kError;
  }
  if (rc > 0 && (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)) && !(pfd.revents & POLLIN)) {
    last_error_ = "capture socket reported an error (interface down or gone?)";
  }
  // Drain everything the kernel has, a bounded number of rounds so the caller can
  // still rotate and flush on time under a flood.
  for (int round = 0; round < 64; ++round) {
    int n = pcap_dispatch(handle_.get(), -1, deliver, user);
    if (n == PCAP_ERROR) {
      last_error_ = pcap_geterr(handle_.get());
      return DispatchStatus::kError;
    }
    if (n <= 0) break;
  }
  return DispatchStatus::kOk;
}

CaptureCounters PcapSource::counters() {
  if (!live_) return total_;
  struct pcap_stat st {};
  if (pcap_stats(handle_.get(), &st) != 0) return total_;
  total_.received += static_cast<std::uint32_t>(st.ps_recv - last_recv_);
  total_.dropped += static_cast<std::uint32_t>(st.ps_drop - last_drop_);
  last_recv_ = st.ps_recv;
  last_drop_ = st.ps_drop;
  return total_;
}


}  // namespace pcap_ring
