// Pay-in routes: a tenant's gateways (PUT/GET /v1/gateways, credentials sealed at rest, never
// shown), charges (POST/GET /v1/charges, their QR codes), the statistics (GET /v1/stats/charges)
// and the gateways' webhooks (POST /webhooks/{gateway}[/{tenant}], public: the gateway's own
// signature or the re-fetched status is what is trusted). Handlers are thin: payins::ChargeService
// does the work.
#pragma once

#include "api/auth.hpp"
#include "api/idempotency.hpp"
#include "core/asset.hpp"
#include "obs/metrics.hpp"
#include "payins/charge_service.hpp"

namespace cambista::api {

void AddChargeRoutes(Router& router, AuthGate& gate, Idempotency& idempotency,
                     payins::ChargeService& charges, const AssetRegistry& assets,
                     obs::MetricsRegistry& metrics);

}  // namespace cambista::api
