// BuhoPago's credits (Venezuela, VES), the payouts::PayoutProvider adapter for treasury sweeps:
// the desk's bolívares at BuhoPago (what paid links brought in, less BuhoPago's fee) are credited
// to the desk's bank account registered at BuhoPago. Credentials: `api_key` (Bearer, bp_live_ or
// bp_test_), `bank_account_id` (BuhoPago's id of that registered account: every credit goes there)
// and, optionally, `webhook_secret` (without it every callback is kBadSignature: only Fetch
// tells). Paths, fields and statuses: the top of buhopago_credits.cpp.
//
// Route: VES to ves_bank, at least 100.00 VES (seed 000's min_withdrawal), no maximum; amounts
// with at most 2 decimals, sent as JSON numbers. The destination must describe the registered
// account: BuhoPago credits `bank_account_id`, whatever the request's bank, account and document
// say (they are not checked here: the account was registered with BuhoPago beforehand). A credit
// above the capacity's volume_available is refused by BuhoPago (422 insufficient_capacity:
// kRejected, nothing created).
//
// The reference is the Idempotency-Key of POST /api/v1/credits/execute (BuhoPago answers the same
// key and body with the first credit) and is also written into the concept ("Cambista <ref>"), so
// that the credit can be found again by it.
//
// ASSUMED, to be checked against the real API: BuhoPago documents only capacity and execute. Fetch
// and List use GET /api/v1/credits?reference=&since=&cursor= (credits whose concept contains the
// reference, oldest first, paged by next_cursor) and the webhook events credit.completed /
// credit.failed {id, event, timestamp, data: credit}, signed like the pay-in webhooks (X-Signature,
// hex HMAC-SHA256 of the raw body under webhook_secret); the sandbox simulator implements exactly
// this, and takes the callback URL from the execute body's `sandbox_callback_url` (sent only when
// the request has a callback_url; the real API is assumed to ignore it).
//
// Statuses (any case): APROBADA -> kPaid, final; EN PROCESO, PROCESANDO, PENDIENTE, PROCESSING,
// PENDING -> kProcessing; RECHAZADA, FALLIDA, FAILED, REJECTED -> kFailed, final; any other word
// is refused. Callbacks: credit.completed / credit.failed are read field by field (kMalformed
// naming the field); other events are kIgnored. Cancel is kInvalidRequest (no cancel exists).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "payins/gateway_http.hpp"
#include "payouts/provider.hpp"

namespace cambista::payouts {

class BuhoPagoCredits final : public PayoutProvider {
 public:
  static constexpr std::string_view kName = "buhopago";
  static constexpr size_t kReferenceCharsMax = 32;
  static constexpr std::string_view kMinimum = "100.00";  // VES

  static ProviderDescription Description();
  // kInvalidRequest naming the credential when one is missing or malformed (api_key: bp_live_ or
  // bp_test_).
  static Result<std::unique_ptr<BuhoPagoCredits>, ProviderError> Create(
      const Credentials& credentials, const ProviderContext& context);

  const ProviderDescription& Describe() const override { return description_; }
  Result<ProviderPayout, ProviderError> Create(const PayoutRequest& request) override;
  Result<ProviderPayout, ProviderError> Fetch(std::string_view reference) override;
  Result<ProviderPayout, ProviderError> Cancel(std::string_view reference) override;
  Result<ProviderPayout, CallbackRejection> ParseCallback(
      const CallbackRequest& request) const override;
  Result<std::vector<ProviderCapacity>, ProviderError> ReadCapacity() override;
  Result<PayoutPage, ProviderError> List(int64_t since_ms, std::string_view cursor) override;

 private:
  BuhoPagoCredits(const ProviderContext& context, std::string api_key, std::string bank_account_id,
                  std::string webhook_secret);

  // method path with `body` (POST) or none (GET), authorized; the answer's JSON or the error.
  Result<payins::JsonDocument, ProviderError> Call(std::string_view method, std::string_view path,
                                                   std::string body, std::string_view operation,
                                                   std::string_view idempotency_key = {}) const;
  ProviderError Error(ProviderError::Kind kind, std::string_view operation,
                      std::string_view what) const;
  ProviderError BadResponse(std::string_view operation, const payins::JsonFieldError& error) const;
  std::optional<ProviderError> CheckRequest(const PayoutRequest& request) const;

  const ProviderDescription description_;
  const std::string api_key_;
  const std::string bank_account_id_;
  const std::string webhook_secret_;
  const payins::GatewayHttp http_;
};

}  // namespace cambista::payouts
