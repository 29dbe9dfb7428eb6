// Paradise ("Paradise Pags"; PIX, BRL in centavos, minimum 1). Credentials: api_key (sent as
// X-API-Key) and product_hash (the product every charge is sold as); optional offer_hash, and a
// split to another store: store_id + split_percentage (a fixed centavo value, rounded down).
// Webhooks are not signed; FetchStatus reads check_status.php. Field names: the top of
// paradise_gateway.cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "payins/gateway.hpp"
#include "payins/gateway_http.hpp"
#include "payins/registry.hpp"

namespace cambista::payins {

class ParadiseGateway final : public PayinGateway {
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
    std::string store_id;
    int64_t bps = 0;
  };
  ParadiseGateway(GatewayContext context, std::string api_key, std::string product_hash,
                  std::string offer_hash, std::optional<Split> split);

  net::ClientRequest StatusRequest(std::string_view id) const;

  const GatewayDescription description_;
  const std::string api_key_;
  const std::string product_hash_;
  const std::string offer_hash_;
  const std::optional<Split> split_;
  const GatewayHttp http_;
};

}  // namespace cambista::payins
