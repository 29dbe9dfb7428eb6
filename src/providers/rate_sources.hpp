// The outside rate sources (Binance P2P, CriptoYa) for the pricing module (pricing/module.hpp):
// their configuration keys and the directory of them (pricing::RateSourceDirectory) the providers
// module provides. Their configuration:
//   [pricing.binance_p2p] url = "https://p2p.binance.com" (default), min_adverts = 8 (adverts left
//                         after the filters for a price), top_n = 5 (the best adverts whose
//                         median is the price)
//   [pricing.criptoya]    url = "https://criptoya.com" (default), volume = "100" (units of the
//                         coin the prices are for), fresh_seconds = 120 (an exchange seen longer
//                         ago is left out), min_exchanges = 2
// Which sources the rate book uses is pricing.sources (the pricing module's). In the sandbox each
// source is built at its simulator, mounted under /sandbox/binance_p2p/ and /sandbox/criptoya/,
// and the sandbox market (pricing::SandboxMarket: PUT /sandbox/rates/{pair} and
// POST /sandbox/rates/stop|start) moves both simulators.
#pragma once

#include <vector>

#include "module/module.hpp"

namespace cambista::providers {

std::vector<module::ConfigKey> RateSourceConfigKeys();
// Builds the sources (and in the sandbox their simulators, their routes and the market), and
// provides pricing::RateSourceDirectory (and pricing::SandboxMarket).
void AddRateSources(module::ModuleContext& context);

}  // namespace cambista::providers
