#include "stages/stage_runner.h"

#include <exception>
#include <string>

#include "common/log.h"

namespace pcap_ring {

int run_stage(const char* stage, const std::function<int()>& body) {
  try {
    return body();
  } catch (const StartupError& e) {
    log::error(std::string(stage) + ": " + e.what());
    return e.code();
  } catch (const std::exception& e) {
    log::error(std::string(stage) + ": internal error: " + e.what());
    return kExitSoftware;
  }
}

void run_stage(const char* stage, int* exit_status, const std::function<int()>& body) {
  *exit_status = run_stage(stage, body);
}

}  // namespace pcap_ring
