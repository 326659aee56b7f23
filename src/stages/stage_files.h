// The capture file a built-in upload stage hands over: opened once, read-only, checked to be
// a regular file, so every stage refuses a missing or odd file with the same line.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include "common/unique_fd.h"
#include "stages/stage_outcome.h"

namespace pcap_ring {

struct OpenCaptureFile {
  UniqueFd fd;
  std::uint64_t size = 0;
};

// "WHAT: strerror(err)", the one way stages describe a failed system call.
std::string errno_reason(const std::string& what, int err);

// The open file, or the failed outcome (exit 1) naming the path and the reason.
std::variant<OpenCaptureFile, StageOutcome> open_capture_file(const std::string& path);

}  // namespace pcap_ring
