// The API's JSON of quotes and trades (amounts as decimal strings in their asset's scale); a
// trade's is also the `data` of its `trade.*` events.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/asset.hpp"
#include "payins/model.hpp"
#include "trading/model.hpp"

namespace cambista::trading {

std::string QuoteJson(const Quote& quote, const AssetRegistry& assets);
// With `charge`, its pay-in instructions embedded as "charge".
std::string TradeJson(const Trade& trade, const AssetRegistry& assets,
                      const std::optional<payins::Charge>& charge = std::nullopt);
std::string TradeHistoryJson(const std::vector<TradeChange>& history);

}  // namespace cambista::trading
