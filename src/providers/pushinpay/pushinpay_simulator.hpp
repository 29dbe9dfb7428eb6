// The PushinPay simulator, answering under /sandbox/pushinpay/ (what it speaks:
// pushinpay_simulator.cpp), and the credentials it accepts. Sandbox (providers/providers.hpp) makes
// it.
#pragma once

#include <memory>
#include <string_view>

#include "providers/simulator_kit/sandbox_options.hpp"

namespace cambista::sandbox {

class GatewaySimulator;
struct SimulatorContext;

std::unique_ptr<GatewaySimulator> MakePushinPaySimulator(SimulatorContext& context);
// Obviously fake values, accepted by this simulator only.
SandboxCredentialMap PushinPaySandboxCredentials();

}  // namespace cambista::sandbox
