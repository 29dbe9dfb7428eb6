// Trading routes: POST /v1/quotes and GET /v1/quotes/{id} (scope quotes:write); POST /v1/trades
// (trades:write, Idempotency-Key), GET /v1/trades, /v1/trades/{id} and /v1/trades/{id}/history
// (trades:read), POST /v1/trades/{id}/cancel and /v1/trades/{id}/refund (trades:write). Handlers
// are thin: TradeService does the work; every error meets its HTTP status and problem code in one
// table (routes.cpp).
#pragma once

#include "api/auth.hpp"
#include "api/idempotency.hpp"
#include "core/asset.hpp"
#include "trading/service.hpp"

namespace cambista::trading {

void AddTradingRoutes(http::Router& router, api::AuthGate& gate, api::Idempotency& idempotency,
                      TradeService& trades, const AssetRegistry& assets);

}  // namespace cambista::trading
