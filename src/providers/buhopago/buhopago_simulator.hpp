// The BuhoPago simulator, answering under /sandbox/buhopago/ (what it speaks:
// buhopago_simulator.cpp), and the credentials it accepts. Sandbox (providers/providers.hpp) makes
// it.
#pragma once

#include <memory>
#include <string_view>

#include "providers/simulator_kit/sandbox_options.hpp"

namespace cambista::sandbox {

class GatewaySimulator;
struct SimulatorContext;

std::unique_ptr<GatewaySimulator> MakeBuhoPagoSimulator(SimulatorContext& context);
// Obviously fake values, accepted by this simulator only.
SandboxCredentialMap BuhoPagoSandboxCredentials();

}  // namespace cambista::sandbox
