// PIX payouts through a PSP's send API (Efí's shape), the payouts::PayoutProvider adapter.
// Credentials: `client_id` and `client_secret` (the OAuth2 client) and `payer_key`, the desk's own
// PIX key at the PSP, which pays every send. Paths, fields and statuses: the top of
// pixout_payouts.cpp.
//
// Auth: POST /oauth/token with HTTP Basic client_id:client_secret gives a bearer token, cached
// until shortly before it expires and exchanged again once when a call answers 401. The real PSP
// also requires mutual TLS (a client certificate per account): net::HttpClient presents none, so
// this adapter reaches only the sandbox, or a PSP behind a proxy that holds the certificate.
//
// Sends: PUT /v3/gn/pix/{idEnvio}, where idEnvio is our reference ([A-Za-z0-9]{1,35}: a reference
// with '_' or '-' is refused before any call) and makes the send idempotent. Routes: BRL to a PIX
// key, 0.01 to 1,000,000.00. A wrong key is not an HTTP error: the send ends NAO_REALIZADO with a
// reason. The PSP has no cancel: Cancel is kInvalidRequest.
//
// Statuses (any case): EM_PROCESSAMENTO -> kProcessing; REALIZADO -> kPaid, final; NAO_REALIZADO ->
// kFailed, final, with its `motivo` as the reason. provider_id and txid are the e2eId.
//
// Callbacks: {"pix": [send, ...]}, unsigned (the PSP relies on mutual TLS to its webhook URL), so
// signs_callbacks is false and a callback only prompts a Fetch. Each field of the first item is
// still checked by name ("pix[0].status"); later items are not read (the port returns one payout
// per callback, and the payouts service re-fetches anyway). An empty list is kMalformed; an item
// about a PIX received (a `txid`, no `idEnvio`: the PSP posts both to the same URL) is kIgnored.
//
// The webhook URL: the PSP registers one per payer key, out of band (Efí: PUT /v2/webhook/{chave}).
// The adapter also sends PayoutRequest.callback_url as the header X-Callback-Url on each create: a
// sandbox extension the simulator uses, which a real PSP ignores.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "payins/gateway_http.hpp"
#include "payouts/provider.hpp"

namespace cambista::payouts {

class PixoutPayouts final : public PayoutProvider {
 public:
  static constexpr std::string_view kName = "pixout";
  static constexpr size_t kReferenceCharsMax = 35;  // idEnvio

  static ProviderDescription Description();
  // kInvalidRequest naming the credential when one is missing or malformed (payer_key: a PIX key).
  static Result<std::unique_ptr<PixoutPayouts>, ProviderError> Create(
      const Credentials& credentials, const ProviderContext& context);

  const ProviderDescription& Describe() const override { return description_; }
  Result<ProviderPayout, ProviderError> Create(const PayoutRequest& request) override;
  Result<ProviderPayout, ProviderError> Fetch(std::string_view reference) override;
  Result<ProviderPayout, ProviderError> Cancel(std::string_view reference) override;
  Result<ProviderPayout, CallbackRejection> ParseCallback(
      const CallbackRequest& request) const override;
  Result<std::vector<ProviderCapacity>, ProviderError> ReadCapacity() override;
  // The cursor is "<page>.<fim in epoch ms>": every page of one listing asks the same window.
  Result<PayoutPage, ProviderError> List(int64_t since_ms, std::string_view cursor) override;

 private:
  PixoutPayouts(const ProviderContext& context, std::string client_id, std::string client_secret,
                std::string payer_key);

  // A valid token: the cached one, or a fresh exchange when there is none, it is about to expire,
  // or `stale` is the token a call was just refused with.
  Result<std::string, ProviderError> Token(const std::string& stale);
  // Sends with the bearer token (exchanged once more on a 401); the JSON object answered.
  Result<payins::JsonDocument, ProviderError> Call(net::ClientRequest request,
                                                   std::string_view operation);
  ProviderError Error(ProviderError::Kind kind, std::string_view operation,
                      std::string_view what) const;
  ProviderError BadResponse(std::string_view operation, const payins::JsonFieldError& error) const;
  std::optional<ProviderError> CheckRequest(const PayoutRequest& request) const;

  const ProviderDescription description_;
  const std::string client_id_;
  const std::string client_secret_;
  const std::string payer_key_;
  const payins::GatewayHttp http_;
  std::mutex token_mutex_;  // held across an exchange: concurrent callers wait for one exchange
  std::string token_;
  int64_t token_refresh_at_ms_ = 0;
};

}  // namespace cambista::payouts
