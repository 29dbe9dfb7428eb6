#include "providers/syncpay/syncpay_gateway.hpp"

#include <algorithm>
#include <utility>

#include "core/clock.hpp"

namespace cambista::payins {
namespace {

// --- SyncPay's API shape: every path and field name, in one place -------------------------------
// Sources: PROVIDERS.md ("The five PIX gateways"), seed 003, SyncPay's public docs
// (syncpay.apidog.io as quoted by public integrations).
//
// POST /api/partner/v1/auth-token  {client_id, client_secret}
//   -> {access_token, token_type, expires_in (seconds), expires_at}
constexpr std::string_view kAuthPath = "/api/partner/v1/auth-token";
constexpr std::string_view kClientIdField = "client_id";
constexpr std::string_view kClientSecretField = "client_secret";
constexpr std::string_view kAccessTokenField = "access_token";
constexpr std::string_view kExpiresInField = "expires_in";
// POST /api/partner/v1/cash-in (Bearer)
//   {amount (reais, JSON number), description, webhook_url, external_reference,
//    client{name, cpf, email, phone}, split[{percentage, user_id}]}
//   -> {message, pix_code, identifier}
// `external_reference` is not in PROVIDERS.md's request; chosen because the webhook echoes a field
// of that name, so it is the one field that can carry our reference through.
constexpr std::string_view kCashInPath = "/api/partner/v1/cash-in";
constexpr std::string_view kAmountField = "amount";
constexpr std::string_view kDescriptionField = "description";
constexpr std::string_view kWebhookUrlField = "webhook_url";
constexpr std::string_view kExternalReferenceField = "external_reference";
constexpr std::string_view kClientField = "client";
constexpr std::string_view kClientNameField = "name";
constexpr std::string_view kClientCpfField = "cpf";
constexpr std::string_view kClientEmailField = "email";
constexpr std::string_view kClientPhoneField = "phone";
constexpr std::string_view kSplitField = "split";
constexpr std::string_view kSplitPercentageField = "percentage";
constexpr std::string_view kSplitUserIdField = "user_id";
constexpr std::string_view kPixCodeField = "pix_code";
constexpr std::string_view kIdentifierField = "identifier";
// GET /api/partner/v1/transaction/{identifier} (Bearer)
//   -> {data{reference_id, status, amount (reais), currency, transaction_date, ...}}
constexpr std::string_view kTransactionPath = "/api/partner/v1/transaction/";
constexpr std::string_view kDataField = "data";
constexpr std::string_view kStatusField = "status";
// Webhook: {data{id, status, amount (reais), external_reference}} (kDataField, kStatusField,
// kAmountField, kExternalReferenceField and:)
constexpr std::string_view kIdField = "id";
// Statuses. `med` is a MED dispute (the payer's bank asked for the money back): the funds are
// frozen and most likely leave, so it maps to REFUNDED; an operator reverses it by hand if the
// dispute is dropped.
constexpr StatusWord kStatuses[] = {
    {"pending", GatewayStatus::kPending}, {"completed", GatewayStatus::kPaid},
    {"failed", GatewayStatus::kFailed},   {"refunded", GatewayStatus::kRefunded},
    {"med", GatewayStatus::kRefunded},
};
// Credentials.
constexpr std::string_view kClientIdCredential = "client_id";
constexpr std::string_view kClientSecretCredential = "client_secret";
constexpr std::string_view kSplitUserIdCredential = "split_user_id";
constexpr std::string_view kSplitPercentageCredential = "split_percentage";
// -------------------------------------------------------------------------------------------------

constexpr std::string_view kName = "syncpay";
// The documented lifetime, used when the exchange does not say.
constexpr int64_t kTokenLifetimeDefaultS = 3600;
// Exchange again this long before the token expires (a call in flight must not carry a token that
// dies on the way), or at half its life for very short-lived tokens.
constexpr int64_t kTokenRefreshMarginMs = 60'000;
constexpr int64_t kTokenLifetimeMaxS = 7 * 24 * 3600;

using Kind = GatewayError::Kind;

}  // namespace

GatewayDescription SyncPayGateway::Description() {
  return GatewayDescription{
      .name = std::string(kName),
      .display_name = "SyncPay",
      .required_credentials = {std::string(kClientIdCredential),
                               std::string(kClientSecretCredential)},
      .optional_credentials = {std::string(kSplitUserIdCredential),
                               std::string(kSplitPercentageCredential)},
      .currency = "BRL",
      .units = AmountUnits::kMajor,
      .minimum = Amount(1, BrlAsset()),
      .maximum = std::nullopt,
      .signs_webhooks = false,
      .can_fetch_status = true,
  };
}

Result<std::unique_ptr<PayinGateway>, RegistryError> SyncPayGateway::Create(
    const Credentials& credentials, const GatewayContext& context) {
  const std::string_view split_user = CredentialOr(credentials, kSplitUserIdCredential);
  const std::string_view split_percentage = CredentialOr(credentials, kSplitPercentageCredential);
  std::optional<Split> split;
  if (split_user.empty() != split_percentage.empty()) {
    const std::string_view absent =
        split_user.empty() ? kSplitUserIdCredential : kSplitPercentageCredential;
    return Failure{
        InvalidCredential(absent, "is needed too when the other split credential is set")};
  }
  if (!split_user.empty()) {
    auto bps = ParsePercentBps(split_percentage);
    if (!bps.ok()) return Failure{InvalidCredential(kSplitPercentageCredential, bps.error())};
    if (bps.value() % 100 != 0) {
      return Failure{
          InvalidCredential(kSplitPercentageCredential, "must be a whole percentage for SyncPay")};
    }
    split = Split{std::string(split_user), bps.value() / 100};
  }
  return std::unique_ptr<PayinGateway>(new SyncPayGateway(
      context, std::string(CredentialOr(credentials, kClientIdCredential)),
      std::string(CredentialOr(credentials, kClientSecretCredential)), std::move(split)));
}

SyncPayGateway::SyncPayGateway(GatewayContext context, std::string client_id,
                               std::string client_secret, std::optional<Split> split)
    : description_(Description()),
      client_id_(std::move(client_id)),
      client_secret_(std::move(client_secret)),
      split_(std::move(split)),
      http_(std::move(context), std::string(kName), {client_id_, client_secret_}) {}

Result<std::string, GatewayError> SyncPayGateway::Token(const std::string& stale) {
  std::lock_guard lock(token_mutex_);
  const int64_t now_ms = http_.context().clock->NowMs();
  if (!token_.empty() && token_ != stale && now_ms < token_refresh_at_ms_) return token_;

  net::ClientRequest request;
  request.method = "POST";
  request.url = http_.Url(kAuthPath);
  request.body = JsonBodyWriter()
                     .String(kClientIdField, client_id_)
                     .String(kClientSecretField, client_secret_)
                     .Finish();
  auto document = http_.Call(std::move(request), "token exchange");
  token_.clear();
  if (!document.ok()) return Failure{document.error()};
  const JsonObject root = document.value().RootObject().value();
  auto token = root.RequiredString(kAccessTokenField);
  if (!token.ok()) return Failure{http_.BadResponse("token exchange", token.error())};
  auto lifetime_s = root.OptionalInteger(kExpiresInField);
  if (!lifetime_s.ok()) return Failure{http_.BadResponse("token exchange", lifetime_s.error())};
  const int64_t lifetime_ms =
      std::clamp<int64_t>(lifetime_s.value().value_or(kTokenLifetimeDefaultS), 1,
                          kTokenLifetimeMaxS) *
      1000;
  token_ = std::move(token).value();
  token_refresh_at_ms_ = now_ms + lifetime_ms - std::min(kTokenRefreshMarginMs, lifetime_ms / 2);
  return token_;
}

Result<JsonDocument, GatewayError> SyncPayGateway::AuthorizedCall(net::ClientRequest request,
                                                                  std::string_view operation) {
  std::string stale;
  for (int attempt = 0;; ++attempt) {
    auto token = Token(stale);
    if (!token.ok()) return Failure{token.error()};
    net::ClientRequest attempt_request = request;
    attempt_request.headers.push_back(BearerHeader(token.value()));
    auto response = http_.Send(std::move(attempt_request), operation);
    if (!response.ok()) return Failure{response.error()};
    // 401 with a token we believed valid: it was revoked or expired early; exchange once.
    if (response.value().status == 401 && attempt == 0) {
      stale = token.value();
      continue;
    }
    if (auto error = http_.HttpErrorFor(response.value(), operation)) return Failure{*error};
    auto document = JsonDocument::Parse(response.value().body);
    if (!document.ok()) return Failure{http_.BadResponse(operation, document.error())};
    if (auto root = document.value().RootObject(); !root.ok()) {
      return Failure{http_.BadResponse(operation, root.error())};
    }
    return std::move(document).value();
  }
}

Result<CreatedCharge, GatewayError> SyncPayGateway::CreateCharge(
    const CreateChargeRequest& request) {
  if (auto error = CheckChargeRequest(request, description_)) return Failure{*error};
  JsonBodyWriter client;
  client.StringIfPresent(kClientNameField, request.customer.name)
      .StringIfPresent(kClientCpfField, request.customer.document)
      .StringIfPresent(kClientEmailField, request.customer.email)
      .StringIfPresent(kClientPhoneField, request.customer.phone);
  JsonBodyWriter body;
  body.Raw(kAmountField, MoneyJson(request.amount, AmountUnits::kMajor))
      .String(kDescriptionField, request.description)
      .StringIfPresent(kWebhookUrlField, request.webhook_url)
      .StringIfPresent(kExternalReferenceField, request.reference);
  if (!client.empty()) body.Raw(kClientField, client.Finish());
  if (split_) {
    const std::string rule = JsonBodyWriter()
                                 .Integer(kSplitPercentageField, split_->percentage)
                                 .String(kSplitUserIdField, split_->user_id)
                                 .Finish();
    body.Raw(kSplitField, "[" + rule + "]");
  }
  net::ClientRequest http_request;
  http_request.method = "POST";
  http_request.url = http_.Url(kCashInPath);
  http_request.body = body.Finish();
  auto document = AuthorizedCall(std::move(http_request), "cash-in");
  if (!document.ok()) return Failure{document.error()};
  const JsonObject root = document.value().RootObject().value();
  auto identifier = root.RequiredId(kIdentifierField);
  if (!identifier.ok()) return Failure{http_.BadResponse("cash-in", identifier.error())};
  auto pix_code = root.RequiredString(kPixCodeField);
  if (!pix_code.ok()) return Failure{http_.BadResponse("cash-in", pix_code.error())};
  CreatedCharge charge;
  charge.gateway_charge_id = std::move(identifier).value();
  charge.pix_code = std::move(pix_code).value();
  charge.status = GatewayStatus::kPending;
  return charge;
}

Result<StatusReport, GatewayError> SyncPayGateway::FetchStatus(std::string_view gateway_charge_id) {
  if (gateway_charge_id.empty()) {
    return Failure{http_.Error(Kind::kInvalidRequest, "status", "needs a transaction identifier")};
  }
  net::ClientRequest request;
  request.url = http_.Url(std::string(kTransactionPath) + PercentEncode(gateway_charge_id));
  auto document = AuthorizedCall(std::move(request), "status");
  if (!document.ok()) return Failure{document.error()};
  const JsonObject root = document.value().RootObject().value();
  auto data = root.RequiredObject(kDataField);
  if (!data.ok()) return Failure{http_.BadResponse("status", data.error())};
  auto status = ReadStatusWord(data.value(), kStatusField, kStatuses, "SyncPay");
  if (!status.ok()) return Failure{http_.BadResponse("status", status.error())};
  auto amount = data.value().OptionalAmount(kAmountField, BrlAsset(), AmountUnits::kMajor);
  if (!amount.ok()) return Failure{http_.BadResponse("status", amount.error())};
  return StatusReport{status.value().status, amount.value(), std::move(status.value().raw),
                      std::nullopt};
}

std::optional<GatewayError> SyncPayGateway::ValidateCredentials() {
  // A fresh exchange proves the pair whatever the cache holds.
  {
    std::lock_guard lock(token_mutex_);
    token_.clear();
  }
  auto token = Token("");
  if (!token.ok()) return token.error();
  return std::nullopt;
}

Result<WebhookEvent, WebhookRejection> SyncPayGateway::ParseWebhook(
    const WebhookRequest& request) const {
  auto document = ParseWebhookJson(request.body);
  if (!document.ok()) return Failure{document.error()};
  const JsonObject root = document.value().RootObject().value();
  auto data = root.RequiredObject(kDataField);
  if (!data.ok()) return Failure{Malformed(data.error())};
  auto id = data.value().RequiredId(kIdField);
  if (!id.ok()) return Failure{Malformed(id.error())};
  auto status = ReadStatusWord(data.value(), kStatusField, kStatuses, "SyncPay");
  if (!status.ok()) return Failure{Malformed(status.error())};
  auto amount = data.value().RequiredAmount(kAmountField, BrlAsset(), AmountUnits::kMajor);
  if (!amount.ok()) return Failure{Malformed(amount.error())};
  auto reference = data.value().OptionalString(kExternalReferenceField, kProviderIdBytesMax);
  if (!reference.ok()) return Failure{Malformed(reference.error())};

  WebhookEvent event;
  event.event_id = StatusEventId(id.value(), status.value().status);
  event.gateway_charge_id = std::move(id).value();
  event.reference = reference.value().value_or("");
  event.status = status.value().status;
  event.amount = amount.value();
  event.raw_status = std::move(status.value().raw);
  return event;
}

}  // namespace cambista::payins
