// Process exit statuses (sysexits.h values) and the start-up errors that carry them.
// Start-up problems stop the program with one line and a distinct status so that
// systemd's RestartPreventExitStatus= can tell "fix your configuration" from a crash.
#pragma once

#include <stdexcept>
#include <string>

namespace pcap_ring {

enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,
  kExitUsage = 64,        // EX_USAGE: bad command line
  kExitDataErr = 65,      // EX_DATAERR: a --read file is not a valid capture file
  kExitUnavailable = 69,  // EX_UNAVAILABLE: capture could not start for a run-time reason
  kExitSoftware = 70,     // EX_SOFTWARE: internal error
  kExitTempFail = 75,     // EX_TEMPFAIL: try again later (hooks: retried with backoff)
  kExitConfig = 78,       // EX_CONFIG: bad configuration (INI, environment, BPF, interface, directory)
  kExitNotRunning = 3,    // `status`: no daemon runs for the ring (as systemctl is-active)
};

// An error that ends start-up with `code` and the one-line `what()`.
class StartupError : public std::runtime_error {
 public:
  StartupError(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ExitCode code() const { return code_; }

 private:
  ExitCode code_;
};

inline StartupError UsageError(const std::string& message) { return {kExitUsage, message}; }
inline StartupError ConfigError(const std::string& message) { return {kExitConfig, message}; }

}  // namespace pcap_ring
