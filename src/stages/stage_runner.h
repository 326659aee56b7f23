// The one place where a built-in stage's exceptions become exit statuses: a StartupError
// gives its own code (78 settings, 64 usage), any other exception EX_SOFTWARE (70); each is
// logged as one line. Expected failures do not throw (see stage_outcome.h).
#pragma once

#include <functional>
#include <string>

#include "common/exit_codes.h"

namespace pcap_ring {

// Runs `body` and returns its exit status. A StartupError's line is prefixed "STAGE: " when
// `name_errors` (Suricata's settings errors name their key and source already).
[[nodiscard]] int run_stage(const std::string& stage, const std::function<int()>& body, bool name_errors = true);

}  // namespace pcap_ring
