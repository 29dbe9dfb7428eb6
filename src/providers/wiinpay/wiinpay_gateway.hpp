// WiinPay (PIX, BRL in reais as JSON numbers, minimum 3.00). Credential api_key travels inside the
// JSON body of a charge (PROVIDERS.md). WiinPay needs the payer's name and e-mail: a charge without
// them is refused before calling (kInvalidRequest naming customer.name / customer.email). Optional
// split: split_user_id + split_percentage. Webhooks are not signed and there is no status API: the
// per-charge token of the callback URL is the only proof (see payins/charge_service.hpp). Field
// names: the top of wiinpay_gateway.cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "payins/gateway.hpp"
#include "payins/gateway_http.hpp"
#include "payins/registry.hpp"

namespace cambista::payins {

class WiinPayGateway final : public PayinGateway {
 public:
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
    std::string user_id;
    int64_t bps = 0;
  };
  WiinPayGateway(GatewayContext context, std::string api_key, std::optional<Split> split);

  const GatewayDescription description_;
  const std::string api_key_;
  const std::optional<Split> split_;
  const GatewayHttp http_;
};

}  // namespace cambista::payins
