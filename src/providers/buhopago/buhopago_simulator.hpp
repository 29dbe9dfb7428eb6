// The BuhoPago simulator, answering under /sandbox/buhopago/ (what it speaks:
// buhopago_simulator.cpp).
#pragma once

#include "providers/simulator_kit/sandbox_options.hpp"

namespace cambista::sandbox {

SimulatorDescription BuhoPagoSimulatorDescription();

}  // namespace cambista::sandbox
