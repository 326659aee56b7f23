#include "stages/stage_runner.h"

#include <exception>

#include "common/log.h"

namespace pcap_ring {

int run_stage(const std::string& stage, const std::function<int()>& body, bool name_errors) {
  try {
    return body();
  } catch (const StartupError& e) {
    log::error((name_errors ? stage + ": " : std::string()) + e.what());
    return e.code();
  } catch (const std::exception& e) {
    log::error(stage + ": internal error: " + e.what());
    return kExitSoftware;
  }
}

}  // namespace pcap_ring
