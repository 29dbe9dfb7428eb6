// ÁtomoPay (PIX, BRL in centavos, minimum 50). Credential api_token travels as a query parameter;
// optional offer_hash and product_hash (the cart item every charge is sold as). One webhook URL
// serves many tenants: the payload names the seller as `producer.hash` or `offer.producer.hash`,
// which becomes WebhookEvent::tenant_hint (and CreatedCharge::tenant_hint when the creation answer
// carries it). A transaction has a numeric `id` and a `hash`; the API addresses transactions by
// hash, so gateway_charge_id is the hash and provider_hash the id. Webhooks are not signed. Field
// names: the top of atomopay_gateway.cpp.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "payins/gateway.hpp"
#include "payins/gateway_http.hpp"
#include "payins/registry.hpp"

namespace cambista::payins {

class AtomoPayGateway final : public PayinGateway {
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
  AtomoPayGateway(GatewayContext context, std::string api_token, std::string offer_hash,
                  std::string product_hash);

  // The API path with `?api_token=` (and `extra_query`, which starts with '&') appended.
  std::string Url(std::string_view path, std::string_view extra_query = {}) const;

  const GatewayDescription description_;
  const std::string api_token_;
  const std::string offer_hash_;
  const std::string product_hash_;
  const GatewayHttp http_;
};

}  // namespace cambista::payins
