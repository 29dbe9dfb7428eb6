// The Paradise simulator, answering under /sandbox/paradise/ (what it speaks:
// paradise_simulator.cpp).
#pragma once

#include "providers/simulator_kit/sandbox_options.hpp"

namespace cambista::sandbox {

SimulatorDescription ParadiseSimulatorDescription();

}  // namespace cambista::sandbox
