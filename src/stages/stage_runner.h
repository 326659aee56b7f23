// The one place where a built-in stage's exceptions become exit statuses: a StartupError
// gives its own code (78 settings, 64 usage), any other exception EX_SOFTWARE (70); each is
// logged as one line naming the stage. Expected failures do not throw (see stage_outcome.h).
#pragma once

#include <functional>

#include "common/exit_codes.h"

namespace pcap_ring {

// Runs `body` and returns its exit status.
[[nodiscard]] int run_stage(const char* stage, const std::function<int()>& body);

// The same for subcommand callbacks: stores the exit status in *exit_status.
void run_stage(const char* stage, int* exit_status, const std::function<int()>& body);

}  // namespace pcap_ring
