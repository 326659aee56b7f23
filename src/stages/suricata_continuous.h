// Continuous mode of the Suricata stage: the finished file appears in the directory that
// `suricata -r DIR --pcap-file-continuous` watches, complete or not at all (hard link; across
// filesystems a copy published by link or rename). See suricata_stage.h for the contract.
#pragma once

#include <string>
#include <variant>

#include "stages/stage_outcome.h"

namespace pcap_ring {

// Making an unnamed O_TMPFILE copy in the watched directory failed with `err`: either the
// filesystem has no O_TMPFILE (TmpfileUnsupported: copy through the hidden directory instead)
// or the hand-over fails with this outcome.
struct TmpfileUnsupported {};
std::variant<StageOutcome, TmpfileUnsupported> tmpfile_failure(int err, const std::string& dir);

// Continuous mode. `allow_tmpfile` = false forces the hidden-subdirectory copy (for tests).
StageOutcome link_into_continuous_dir(const std::string& file, const std::string& dir,
                                      bool allow_tmpfile = true);

}  // namespace pcap_ring
