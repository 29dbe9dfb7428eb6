// The WiinPay simulator, answering under /sandbox/wiinpay/ (what it speaks: wiinpay_simulator.cpp),
// and the credentials it accepts. Sandbox (providers/providers.hpp) makes it.
#pragma once

#include <memory>
#include <string_view>

#include "providers/simulator_kit/sandbox_options.hpp"

namespace cambista::sandbox {

class GatewaySimulator;
struct SimulatorContext;

std::unique_ptr<GatewaySimulator> MakeWiinPaySimulator(SimulatorContext& context);
// Obviously fake values, accepted by this simulator only.
SandboxCredentialMap WiinPaySandboxCredentials();

}  // namespace cambista::sandbox
