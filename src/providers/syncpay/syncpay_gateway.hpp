// SyncPay (PIX, BRL in reais as JSON numbers). Credentials client_id + client_secret are exchanged
// for a Bearer token (about an hour), cached until shortly before it expires and exchanged again
// once when a call answers 401 (the token may have been revoked early). Optional split:
// split_user_id + split_percentage (whole percent, 1 to 100). Webhooks wrap the transaction in
// `data{...}` and are not signed: a hint, confirmed with FetchStatus. Field names: the top of
// syncpay_gateway.cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "payins/gateway.hpp"
#include "payins/gateway_http.hpp"
#include "payins/registry.hpp"

namespace cambista::payins {

class SyncPayGateway final : public PayinGateway {
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
    int64_t percentage = 0;
  };
  SyncPayGateway(GatewayContext context, std::string client_id, std::string client_secret,
                 std::optional<Split> split);

  // A valid token: the cached one, or a fresh exchange when there is none, it is about to expire,
  // or `stale` is the token a call was just refused with.
  Result<std::string, GatewayError> Token(const std::string& stale);
  // Sends with the token; on 401 exchanges the token once and sends again.
  Result<JsonDocument, GatewayError> AuthorizedCall(net::ClientRequest request,
                                                    std::string_view operation);

  const GatewayDescription description_;
  const std::string client_id_;
  const std::string client_secret_;
  const std::optional<Split> split_;
  const GatewayHttp http_;

  std::mutex token_mutex_;  // held across an exchange: concurrent callers wait for one exchange
  std::string token_;
  int64_t token_refresh_at_ms_ = 0;
};

}  // namespace cambista::payins
