// What every simulator is given: the Sandbox's options (webhook delivery, the knobs of particular
// gateways) and the shape of the credentials a simulator accepts.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "net/http_client.hpp"

namespace cambista::sandbox {

// The default BuhoPago webhook signing secret (SandboxOptions::buhopago_webhook_secret).
inline constexpr std::string_view kSandboxBuhoPagoWebhookSecret = "sandbox-buhopago-webhook-secret";

// Same type as payins::Credentials.
using SandboxCredentialMap = std::map<std::string, std::string, std::less<>>;

class GatewaySimulator;
struct SimulatorContext;

// One provider's simulator as the Sandbox lists it (providers/providers.cpp).
struct SimulatorDescription {
  std::string_view name;  // "syncpay": it answers under /sandbox/syncpay/
  std::unique_ptr<GatewaySimulator> (*make)(SimulatorContext& context);
  SandboxCredentialMap (*credentials)();  // what it accepts: obviously fake values
};

struct SandboxOptions {
  const net::HttpClient* http = nullptr;  // sends the webhooks; required
  const Clock* clock = nullptr;           // charge times, expiry, token lifetime; required
  // BuhoPago signs its webhooks (X-Signature: hex HMAC-SHA256 of the raw body) with this.
  std::string buhopago_webhook_secret = std::string(kSandboxBuhoPagoWebhookSecret);
  // Webhook delivery: attempts per webhook, the delay before the first retry (doubling), and the
  // deadline of each attempt.
  int webhook_attempts_max = 3;
  int64_t webhook_retry_delay_ms = 500;
  int64_t webhook_timeout_ms = 5'000;
  // SyncPay bearer tokens live this long (the real gateway: one hour).
  int64_t syncpay_token_lifetime_ms = 3'600'000;
  // PushinPay answers 429 to a second status query of a transaction within this interval, as the
  // real gateway asks (once a minute); 0 turns the rule off.
  int64_t pushinpay_status_interval_ms = 60'000;
};

}  // namespace cambista::sandbox
