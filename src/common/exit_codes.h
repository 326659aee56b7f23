// Process exit statuses (<sysexits.h> names) and the start-up errors that carry them.
//
// Error convention, used everywhere:
// - Fatal start-up errors (bad command line, bad configuration) are exceptions: throw
//   UsageError (EX_USAGE, 64) or ConfigError (EX_CONFIG, 78), both StartupError. They are
//   caught once, in the command-line layer (src/cli), printed as one line, and become the exit
//   status, so systemd's RestartPreventExitStatus= can tell "fix your configuration" from a crash.
// - Expected run-time failures (a hook that fails, a network error, a full disk) are returned
//   values (an exit code, an outcome struct, or false with a message), never exceptions.
// - Anything else that escapes is a bug: EX_SOFTWARE (70).
#pragma once

#include <sysexits.h>

#include <stdexcept>
#include <string>

namespace pcap_ring {

enum ExitCode : int {
  kExitOk = EX_OK,
  kExitFailure = 1,
  kExitUsage = EX_USAGE,              // bad command line
  kExitDataErr = EX_DATAERR,          // a --read file is not a valid capture file
  kExitUnavailable = EX_UNAVAILABLE,  // capture could not start for a run-time reason
  kExitSoftware = EX_SOFTWARE,        // internal error
  kExitTempFail = EX_TEMPFAIL,        // try again later (hooks: retried with backoff)
  kExitConfig = EX_CONFIG,            // bad configuration (INI, environment, BPF, interface, directory)
  kExitCantCreate = EX_CANTCREAT,     // an output file cannot be made (`keygen`: it exists, or no such directory)
  kExitNotRunning = 3,                // `status`: no daemon runs for the ring (as systemctl is-active)
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
