// The SyncPay simulator, answering under /sandbox/syncpay/ (what it speaks: syncpay_simulator.cpp),
// and the credentials it accepts. Sandbox (providers/providers.hpp) makes it.
#pragma once

#include <memory>
#include <string_view>

#include "providers/simulator_kit/sandbox_options.hpp"

namespace cambista::sandbox {

class GatewaySimulator;
struct SimulatorContext;

std::unique_ptr<GatewaySimulator> MakeSyncPaySimulator(SimulatorContext& context);
// Obviously fake values, accepted by this simulator only.
SandboxCredentialMap SyncPaySandboxCredentials();

}  // namespace cambista::sandbox
