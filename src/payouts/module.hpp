// The payouts as a module (module/module.hpp): its migrations (payouts/schema.hpp) and Install(),
// which builds the payout service and registers its routes: the desk's customers, their saved
// destinations and the deposits an operator records. It provides the PayoutService to whoever
// comes after (trading).
#pragma once

#include "module/module.hpp"

namespace cambista::payouts {

extern const module::Module kModule;

}  // namespace cambista::payouts
