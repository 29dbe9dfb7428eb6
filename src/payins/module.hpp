// The pay-ins as a module (module/module.hpp): its migrations (payins/schema.hpp) and Install(),
// which builds the charge service on the gateways the providers module provides
// (payins::GatewayCatalog, so the providers module is installed first), and registers the charge
// routes, the jobs that confirm, expire and recover charges with their schedules, the retention
// of raw webhook bodies, and in sandbox mode the simulators' accounts for the tenant `default`.
// It provides the ChargeService to whoever comes after.
#pragma once

#include "module/module.hpp"

namespace cambista::payins {

extern const module::Module kModule;

}  // namespace cambista::payins
