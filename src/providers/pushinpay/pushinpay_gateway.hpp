// PushinPay ("PushynPay"; PIX, BRL in centavos, minimum 50). Credential api_key is sent as a
// Bearer token. Optional split: split_account_id + split_percentage (at most 50%, PushinPay's
// limit), sent as a fixed centavo value rounded down. PushinPay allows a transaction's status to be
// read at most once a minute: FetchStatus keeps that limit per transaction with the context's
// Clock and answers kRateLimited (with retry_after_ms) without calling. Webhooks are not signed.
// Field names: the top of pushinpay_gateway.cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "payins/gateway.hpp"
#include "payins/gateway_http.hpp"
#include "payins/registry.hpp"

namespace cambista::payins {

class PushinPayGateway final : public PayinGateway {
 public:
  static constexpr int64_t kStatusIntervalMs = 60'000;

  static GatewayDescription Description();
  static Result<std::unique_ptr<PayinGateway>, RegistryError> Create(const Credentials& credentials,
                                                                     const GatewayContext& context);

  const GatewayDescription& Describe() const override { return description_; }
  Result<CreatedCharge, GatewayError> CreateCharge(const CreateChargeRequest& request) override;
  Result<WebhookEvent, WebhookRejection> ParseWebhook(const WebhookRequest& request) const override;
  Result<StatusReport, GatewayError> FetchStatus(std::string_view gateway_charge_id) override;
  std::optional<GatewayError> ValidateCredentials() override;

 private:
  struct Split {
    std::string account_id;
    int64_t bps = 0;
  };
  PushinPayGateway(GatewayContext context, std::string api_key, std::optional<Split> split);

  // Records a status read of `id` now, or says how long until one is allowed.
  std::optional<GatewayError> TakeStatusSlot(const std::string& id);

  const GatewayDescription description_;
  const std::string api_key_;
  const std::optional<Split> split_;
  const GatewayHttp http_;

  std::mutex status_mutex_;
  std::unordered_map<std::string, int64_t> last_status_ms_;  // by transaction id
};

}  // namespace cambista::payins
