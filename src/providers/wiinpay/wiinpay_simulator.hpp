// The WiinPay simulator, answering under /sandbox/wiinpay/ (what it speaks: wiinpay_simulator.cpp).
#pragma once

#include "providers/simulator_kit/sandbox_options.hpp"

namespace cambista::sandbox {

SimulatorDescription WiinPaySimulatorDescription();

}  // namespace cambista::sandbox
