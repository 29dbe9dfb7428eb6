// The PushinPay simulator, answering under /sandbox/pushinpay/ (what it speaks:
// pushinpay_simulator.cpp).
#pragma once

#include "providers/simulator_kit/sandbox_options.hpp"

namespace cambista::sandbox {

SimulatorDescription PushinPaySimulatorDescription();

}  // namespace cambista::sandbox
