#include "config/reload_plan.h"

#include "config/settings_table.h"

namespace pcap_ring {

ReloadPlan plan_reload(const CaptureConfig& running, const CaptureConfig& reread) {
  ReloadPlan plan{running, {}};
  for (const SettingSpec* row : settings_for<CaptureConfig>()) {
    if (row->reloadable) row->field.copy(plan.config, reread);
    else if (!row->field.equal(running, reread)) plan.needs_restart.push_back(row->name);
  }
  return plan;
}

}  // namespace pcap_ring
