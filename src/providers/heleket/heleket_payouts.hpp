// Heleket (Cryptomus-compatible crypto payouts), the payouts::PayoutProvider adapter. Credentials:
// `merchant` (the merchant's uuid) and `payout_api_key`. Every call is a POST with a JSON body,
// signed with the headers `merchant` and `sign` (heleket_sign.hpp). Paths, fields and statuses:
// the top of heleket_payouts.cpp.
//
// Routes: USDT on TRON, ETH, POLYGON and BSC (at least 1 USDT), TRX on TRON (at least 1 TRX), ETH
// on ETH (at least 0.001 ETH); amounts with at most 8 decimals (Heleket's precision), written as
// decimal strings. The reference is Heleket's order_id, which makes Create idempotent. Heleket
// documents no cancel: Cancel is kInvalidRequest.
//
// Statuses (any case): process, check -> kProcessing; paid -> kPaid; fail, system_fail -> kFailed;
// cancel -> kCancelled. Only `is_final` ends a payout. Amounts are read exactly (trailing zeros
// past the asset's scale are fine, other digits are refused); a commission finer than the asset's
// scale is rounded up, so no less is booked than was charged. Balances (ReadCapacity) are rounded
// down to the asset's scale.
//
// Callbacks: {type: "payout", uuid, order_id, amount, commission?, is_final, status, txid?,
// network?, currency?, sign}. The signature is checked first (kBadSignature when missing or wrong);
// a `type` other than payout is kIgnored; every other field is checked by name (kMalformed). A
// callback without `currency` (the documented shape has none) gives no amount or commission:
// Fetch tells them.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "payins/gateway_http.hpp"
#include "payouts/provider.hpp"

namespace cambista::payouts {

class HeleketPayouts final : public PayoutProvider {
 public:
  static constexpr std::string_view kName = "heleket";
  static constexpr size_t kReferenceCharsMax = 32;
  static constexpr int kDecimalsMax = 8;

  static ProviderDescription Description();
  // kInvalidRequest naming the credential when one is missing or malformed (merchant: a uuid).
  static Result<std::unique_ptr<HeleketPayouts>, ProviderError> Create(
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
  HeleketPayouts(const ProviderContext& context, std::string merchant, std::string api_key);

  // POST path with `body`, signed; the `result` of {state: 0, result} or the error.
  Result<payins::JsonDocument, ProviderError> Call(std::string_view path, std::string body,
                                                   std::string_view operation) const;
  ProviderError Error(ProviderError::Kind kind, std::string_view operation,
                      std::string_view what) const;
  ProviderError BadResponse(std::string_view operation, const payins::JsonFieldError& error) const;
  std::optional<ProviderError> CheckRequest(const PayoutRequest& request) const;

  const ProviderDescription description_;
  const std::string merchant_;
  const std::string api_key_;
  const payins::GatewayHttp http_;
};

}  // namespace cambista::payouts
