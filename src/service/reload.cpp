#include "service/reload.h"

#include <string>

#include "common/exit_codes.h"
#include "common/log.h"
#include "config/reload_plan.h"

namespace pcap_ring {

void apply_reload(CaptureConfig& running, const CaptureConfig& reread) {
  if (reread.interface_name != running.interface_name) throw ConfigError("the interface cannot change on reload");
  ReloadPlan plan = plan_reload(running, reread);
  for (const auto& name : plan.needs_restart)
    log::warning("reload: " + name + " changed; it takes effect after a restart");
  running = std::move(plan.config);
}

}  // namespace pcap_ring
