// Payout routes: the desk's customers (PUT/GET /v1/customers/{id}), the destinations saved for
// them (POST/GET /v1/customers/{id}/destinations, validated before anything is stored: 422
// `invalid_destination` naming the field and the reason), and the deposits an operator records
// (POST /v1/treasury/deposits, scope admin), the payouts themselves, and the treasury sweeps
// (GET /v1/treasury/sweeps, POST /v1/treasury/sweeps/run, scope admin: treasury_routes.cpp).
// Handlers are thin: payouts::PayoutService and payouts::TreasurySweeps do the work; every error
// of a payout meets its HTTP status and problem code in one table (routes.cpp).
#pragma once

#include "api/auth.hpp"
#include "api/idempotency.hpp"
#include "core/asset.hpp"
#include "http/json_input.hpp"
#include "payouts/service.hpp"
#include "payouts/treasury_sweeps.hpp"

namespace cambista::payouts {

void AddPayoutRoutes(http::Router& router, api::AuthGate& gate, api::Idempotency& idempotency,
                     PayoutService& payouts, const AssetRegistry& assets, const Clock& clock);
// A destination's fields as a body gives them ({kind, network, address, key, bank, account,
// document}), each bounded, unknown fields refused; ValidateDestination judges them. `prefix` names
// the object in errors ("destination."). The 400 problem on a malformed field. (Trading reads its
// trades' destinations with it.)
Result<DestinationInput, http::HttpResponse> ReadDestinationFields(http::JsonObjectReader& body,
                                                                   std::string_view prefix);
void AddTreasuryRoutes(http::Router& router, api::AuthGate& gate, TreasurySweeps& sweeps,
                       const AssetRegistry& assets);

}  // namespace cambista::payouts
