// Pay-in routes: a tenant's gateways (PUT/GET /v1/gateways, credentials sealed at rest, never
// shown), charges (POST/GET /v1/charges, their history, QR codes and the resolution of those
// under review), the statistics (GET /v1/stats/charges) and the gateways' webhooks
// (POST /webhooks/{gateway}/{tenant}/{token}: public, but only the charge's token, the gateway's
// signature or the gateway's own API make a webhook count). Handlers are thin:
// payins::ChargeService does the work; gateway calls answer later (deferred responses), so they
// never hold a request worker.
#pragma once

#include "api/auth.hpp"
#include "api/idempotency.hpp"
#include "core/asset.hpp"
#include "obs/metrics.hpp"
#include "payins/charge_service.hpp"
#include "security/token_bucket.hpp"

namespace cambista::payins {

// Webhook bodies larger than this are refused (413) before anything else is done with them.
inline constexpr size_t kWebhookBodyBytesMax = 64 << 10;

struct ChargeRoutesOptions {
  // Webhooks per gateway and source address: a burst, then a steady rate (429 beyond it).
  TokenBucketOptions webhook_rate{120, 20, 100'000};
};

void AddChargeRoutes(http::Router& router, api::AuthGate& gate, api::Idempotency& idempotency,
                     ChargeService& charges, const AssetRegistry& assets,
                     obs::MetricsRegistry& metrics, const Clock& clock,
                     ChargeRoutesOptions options = {});

}  // namespace cambista::payins
