// Trading as a module (module/module.hpp): its migrations (trading/schema.hpp) and Install(), which
// builds the trade service on the pricing module's rates, the payins' charges and the payouts, and
// registers its routes, its jobs (trades.advance, trades.expire) and the observers through which a
// change of a trade's charge or payout reaches it. Its configuration:
//   [trading] quote_ttl_seconds = 60, payment_window_seconds = 900, sandbox_liquidity = true
//   [trading.pairs.BRL_USDT] spread_bps = 300, network_fee_bps = 25, min = "10.00",
//     max = "50000.00" (per pair; min and max in the asset paid)
//   [trading.daily_limits] level_0 = "1000.00" ... level_9 (USDT per customer and 24 hours, by
//     KYC level; "none": no limit)
#pragma once

#include "module/module.hpp"

namespace cambista::trading {

extern const module::Module kModule;

}  // namespace cambista::trading
