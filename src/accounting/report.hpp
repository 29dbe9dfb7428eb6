// The chart of accounts for people: `cambista ledger accounts` prints the kinds, then every
// account of the registry with its balances.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/asset.hpp"
#include "store/database.hpp"

namespace cambista::accounting {

// The report as text: a table of the kinds (code, side, qualifier, what each stands for), then one
// row per account of `tenant` (or of every tenant) with its posted, pending and available balances
// as decimals in the account's currency (minor units when the currency is not in `assets`).
std::string ChartReport(store::Connection& connection, std::optional<std::string_view> tenant,
                        const AssetRegistry& assets);

}  // namespace cambista::accounting
