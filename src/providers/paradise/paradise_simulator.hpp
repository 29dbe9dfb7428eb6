// The Paradise simulator, answering under /sandbox/paradise/ (what it speaks:
// paradise_simulator.cpp), and the credentials it accepts. Sandbox (providers/providers.hpp) makes
// it.
#pragma once

#include <memory>
#include <string_view>

#include "providers/simulator_kit/sandbox_options.hpp"

namespace cambista::sandbox {

class GatewaySimulator;
struct SimulatorContext;

std::unique_ptr<GatewaySimulator> MakeParadiseSimulator(SimulatorContext& context);
// Obviously fake values, accepted by this simulator only.
SandboxCredentialMap ParadiseSandboxCredentials();

}  // namespace cambista::sandbox
