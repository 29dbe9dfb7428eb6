// The payouts as a module (module/module.hpp): its migrations (payouts/schema.hpp) and Install(),
// which builds the payout service and registers its routes: the desk's customers, their saved
// destinations and the deposits an operator records. It provides the PayoutService to whoever
// comes after (trading). Its configuration: [payouts] track_after_send_ms = 60000 (when a sent
// payout is first asked about: what resolves one whose sender died during the call) and
// review_after_ms = 3600000 (UNKNOWN for longer: MANUAL_REVIEW); [payouts.approval_thresholds]
// USDT = "1000.00" (above it, four eyes). The providers are the providers module's
// (providers/module.hpp).
#pragma once

#include "module/module.hpp"

namespace cambista::payouts {

extern const module::Module kModule;

}  // namespace cambista::payouts
