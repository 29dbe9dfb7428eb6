// Pricing as a module (module/module.hpp): its migration (pricing/schema.hpp: reference_rates and
// rate_observations) and Install(), which builds the rate book (pricing/service.hpp) from the
// configured sources, provides it (pricing::RateBook) to whoever comes after (trading), polls it on
// its own thread (pricing/poller.hpp) and adds GET /v1/rates, and in `serve --sandbox` the sandbox
// feed and its control routes (pricing/routes.hpp).
//
// Its configuration, [pricing]:
//   sources             comma list of static, binance_p2p, criptoya, sandbox. Default in the
//                       sandbox "binance_p2p,criptoya,sandbox" (each at its simulator); elsewhere
//                       "static" when [pricing.static] has entries, else none: then every pair is
//                       unavailable (there is no built-in price)
//   pairs               comma list, default "USDT/BRL,USDT/VES,USDT/COP,POL/BRL"
//   poll_interval_ms    default 60000 (the sandbox: 1000)
//   max_age_seconds     the oldest value served, default 300
//   band_bps            how far a source's mid may stray from the sources' median, default 300
//   min_sources         sources that must agree for a price, default 1
//   breaker_failures    failures in a row that open a source's circuit breaker, default 3
//   breaker_cooldown_ms how long it stays open, default 60000 (the sandbox: 5000)
// [pricing.static.USDT_BRL] bid = "5.40", ask = "5.46": the static source's prices (any pair of
// two known assets; environment: CAMBISTA_PRICING_STATIC_USDT_BRL_BID). The outside sources'
// settings, [pricing.binance_p2p] and [pricing.criptoya], are the providers module's
// (providers/rate_sources.hpp), which builds those sources.
#pragma once

#include "module/module.hpp"

namespace cambista::pricing {

extern const module::Module kModule;

}  // namespace cambista::pricing
