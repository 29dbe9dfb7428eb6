// The AtomoPay simulator, answering under /sandbox/atomopay/ (what it speaks:
// atomopay_simulator.cpp), and the credentials it accepts. Sandbox (providers/providers.hpp) makes
// it.
#pragma once

#include <memory>
#include <string_view>

#include "providers/simulator_kit/sandbox_options.hpp"

namespace cambista::sandbox {

class GatewaySimulator;
struct SimulatorContext;

// The producer hash of the sandbox ÁtomoPay account: every ÁtomoPay payload names it
// (producer.hash), as the real gateway names the account a transaction belongs to.
inline constexpr std::string_view kSandboxAtomoPayProducerHash = "sandbox-atomopay-producer";

std::unique_ptr<GatewaySimulator> MakeAtomoPaySimulator(SimulatorContext& context);
// Obviously fake values, accepted by this simulator only.
SandboxCredentialMap AtomoPaySandboxCredentials();

}  // namespace cambista::sandbox
