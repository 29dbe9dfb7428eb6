// The SyncPay simulator, answering under /sandbox/syncpay/ (what it speaks: syncpay_simulator.cpp).
#pragma once

#include "providers/simulator_kit/sandbox_options.hpp"

namespace cambista::sandbox {

SimulatorDescription SyncPaySimulatorDescription();

}  // namespace cambista::sandbox
