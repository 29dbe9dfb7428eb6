// The AtomoPay simulator, answering under /sandbox/atomopay/ (what it speaks:
// atomopay_simulator.cpp).
#pragma once

#include <string_view>

#include "providers/simulator_kit/sandbox_options.hpp"

namespace cambista::sandbox {

// The producer hash of the sandbox ÁtomoPay account: every ÁtomoPay payload names it
// (producer.hash), as the real gateway names the account a transaction belongs to.
inline constexpr std::string_view kSandboxAtomoPayProducerHash = "sandbox-atomopay-producer";

SimulatorDescription AtomoPaySimulatorDescription();

}  // namespace cambista::sandbox
