// What a built-in stage (CloudShark, S3, Suricata) tells its caller about one file.
//
// Error convention for the stages: an expected failure at run time (network, server refusal,
// local I/O) is returned as a StageOutcome whose code is a hook exit status; settings that
// cannot work are thrown as StartupError before or while the stage starts, and the stage
// runner (stage_runner.h) turns those into their exit status.
#pragma once

#include <string>

#include "common/exit_codes.h"

namespace pcap_ring {

struct StageOutcome {
  // kExitOk done; kExitTempFail retry later (EX_TEMPFAIL); kExitFailure refused for good;
  // kExitConfig the settings cannot work.
  ExitCode code = kExitOk;
  // The success line, or the one-line reason of the failure (never holds a secret).
  std::string message;

  bool ok() const { return code == kExitOk; }
};

}  // namespace pcap_ring
