#include "common/shrink_guard.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <mutex>

namespace pcap_ring {
namespace {

// Few readers map at once (one per ring of an extraction); a full table only costs speed.
constexpr int kSlots = 64;

struct Region {
  std::atomic<std::uintptr_t> begin{0};
  std::atomic<std::uintptr_t> end{0};
  std::atomic<bool> shrunk{false};
};
Region g_regions[kSlots];
std::atomic<bool> g_taken[kSlots];
struct sigaction g_previous {};

void on_sigbus(int sig, siginfo_t* info, void* context) {
  auto at = reinterpret_cast<std::uintptr_t>(info->si_addr);
  for (Region& r : g_regions) {
    if (at >= r.begin.load() && at < r.end.load()) {
      // Only async-signal-safe calls: mmap is a plain system call.
      auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
      void* zero = ::mmap(reinterpret_cast<void*>(at & ~(page - 1)), page, PROT_READ,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
      if (zero != MAP_FAILED) {
        r.shrunk.store(true);
        return;  // the read is retried and sees zeros
      }
    }
  }
  // Not ours: whatever handled SIGBUS before does (by default, the process dies as it would).
  ::sigaction(SIGBUS, &g_previous, nullptr);
  if (!(g_previous.sa_flags & SA_SIGINFO) && g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN)
    g_previous.sa_handler(sig);
  (void)context;
}

void install_handler() {
  struct sigaction action {};
  action.sa_sigaction = on_sigbus;
  action.sa_flags = SA_SIGINFO;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGBUS, &action, &g_previous);
}

}  // namespace

bool ShrinkGuard::arm(const void* base, std::size_t size) {
  static std::once_flag installed;
  std::call_once(installed, install_handler);
  release();
  for (int i = 0; i < kSlots; ++i) {
    bool expected = false;
    if (!g_taken[i].compare_exchange_strong(expected, true)) continue;
    g_regions[i].shrunk.store(false);
    g_regions[i].begin.store(reinterpret_cast<std::uintptr_t>(base));
    g_regions[i].end.store(reinterpret_cast<std::uintptr_t>(base) + size);
    slot_ = i;
    return true;
  }
  return false;
}

void ShrinkGuard::release() {
  if (slot_ < 0) return;
  g_regions[slot_].end.store(0);
  g_regions[slot_].begin.store(0);
  g_taken[slot_].store(false);
  slot_ = -1;
}

bool ShrinkGuard::shrunk() const { return slot_ >= 0 && g_regions[slot_].shrunk.load(); }

}  // namespace pcap_ring
