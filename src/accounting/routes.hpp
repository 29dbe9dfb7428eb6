// The tenant's books over HTTP: GET /v1/balances (every account of the key's tenant, by kind, with
// posted, pending and available balances) and GET /v1/ledger/accounts/{id}[/transfers]. Amounts
// are decimal strings in the asset's scale, like every other amount of /v1; minor units stay
// inside. An account of another tenant answers 404, exactly like one that does not exist.
#pragma once

#include "accounting/chart.hpp"
#include "api/auth.hpp"
#include "core/asset.hpp"
#include "http/router.hpp"
#include "ledger/ledger.hpp"

namespace cambista::accounting {

void AddAccountingRoutes(http::Router& router, api::AuthGate& gate, ledger::Ledger& ledger,
                         Chart& chart, const AssetRegistry& assets);

}  // namespace cambista::accounting
