// BuhoPago (Venezuela: VES in bolívares as JSON numbers). Credentials: api_key (a Bearer token
// starting bp_live_ or bp_test_) and webhook_secret. A charge is a payment link (its URL is the
// payment instructions). Webhooks are signed: X-Signature is the hex HMAC-SHA256 of the raw body
// under webhook_secret, compared in constant time; a missing or wrong signature is kBadSignature,
// checked before the body is read. BuhoPago allows 100 requests a minute: every call takes a token
// from a bucket of 40 refilled at 1 a second, so no 60-second window ever holds more than 100
// calls; an empty bucket answers kRateLimited without calling.
//
// Outside the port, for the payouts issue (treasury sweeps of seed 000): Capacity() and
// ExecuteCredit(), with exact amounts. Field names: the top of buhopago_gateway.cpp.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "payins/gateway.hpp"
#include "payins/gateway_http.hpp"
#include "payins/registry.hpp"
#include "security/token_bucket.hpp"

namespace cambista::payins {

struct BuhoPagoCapacity {
  Amount volume_available;        // what can be credited to the desk's bank account now
  Amount volume_processed_total;  // received, all time
  Amount volume_credited_total;   // already credited out, all time
};

struct BuhoPagoCredit {
  std::string transaction_id;
  std::string status;  // BuhoPago's word: "APROBADA" (approved) or an in-process word
  bool approved = false;
  std::optional<Amount> amount;  // when the answer echoes it
};

class BuhoPagoGateway final : public PayinGateway {
 public:
  static constexpr int64_t kBucketCapacityTokens = 40;
  static constexpr int64_t kBucketRefillTokensPerSecond = 1;

  static GatewayDescription Description();
  static Result<std::unique_ptr<PayinGateway>, RegistryError> Create(const Credentials& credentials,
                                                                     const GatewayContext& context);
  // The same, typed, for the payouts side (Capacity, ExecuteCredit).
  static Result<std::unique_ptr<BuhoPagoGateway>, RegistryError> CreateTyped(
      const Credentials& credentials, const GatewayContext& context);

  const GatewayDescription& Describe() const override { return description_; }
  Result<CreatedCharge, GatewayError> CreateCharge(const CreateChargeRequest& request) override;
  Result<WebhookEvent, WebhookRejection> ParseWebhook(const WebhookRequest& request) const override;
  Result<StatusReport, GatewayError> FetchStatus(std::string_view gateway_charge_id) override;
  std::optional<GatewayError> ValidateCredentials() override;

  // GET /api/v1/credits/capacity.
  Result<BuhoPagoCapacity, GatewayError> Capacity();
  // POST /api/v1/credits/execute: an immediate credit of `amount` (VES) to one of the account's
  // bank accounts. `idempotency_key` (sent as Idempotency-Key) must be the same when the call is
  // retried, so a retry after a timeout cannot pay twice. A 2xx answer with success=false is
  // kRejected.
  Result<BuhoPagoCredit, GatewayError> ExecuteCredit(std::string_view bank_account_id,
                                                     const Amount& amount,
                                                     std::string_view description,
                                                     std::string_view idempotency_key);

 private:
  BuhoPagoGateway(GatewayContext context, std::string api_key, std::string webhook_secret);

  // One request from the budget, or kRateLimited.
  std::optional<GatewayError> TakeRequestToken(std::string_view operation);
  net::ClientRequest Request(std::string method, std::string_view path) const;

  const GatewayDescription description_;
  const std::string api_key_;
  const std::string webhook_secret_;
  const GatewayHttp http_;
  TokenBucketLimiter limiter_;
};

}  // namespace cambista::payins
