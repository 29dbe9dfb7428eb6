#include "providers/pushinpay/pushinpay_gateway.hpp"

#include <utility>

#include "core/clock.hpp"

namespace cambista::payins {
namespace {

// --- PushinPay's API shape: every path and field name, in one place -----------------------------
// Sources: PROVIDERS.md ("The five PIX gateways"), seed 003, PushinPay's public docs
// (app.theneo.io/pushinpay: "valores sempre em CENTAVOS", minimum 50, split at most 50%).
//
// POST /api/pix/cashIn (Authorization: Bearer <api_key>)
//   {value (centavos, JSON integer), webhook_url, split_rules[{value (centavos), account_id}]}
//   -> {id, qr_code (the BR Code), qr_code_base64, status, value}
constexpr std::string_view kCashInPath = "/api/pix/cashIn";
constexpr std::string_view kValueField = "value";
constexpr std::string_view kWebhookUrlField = "webhook_url";
constexpr std::string_view kSplitRulesField = "split_rules";
constexpr std::string_view kSplitAccountIdField = "account_id";
constexpr std::string_view kIdField = "id";
constexpr std::string_view kQrCodeField = "qr_code";
constexpr std::string_view kStatusField = "status";
// GET /api/transactions/{id} (Bearer) -> the webhook's shape.
constexpr std::string_view kTransactionPath = "/api/transactions/";
// Webhook: {id, status, value (centavos), payer_name, payer_national_registration, end_to_end_id}
constexpr std::string_view kPayerNameField = "payer_name";
constexpr std::string_view kPayerDocumentField = "payer_national_registration";
constexpr std::string_view kEndToEndIdField = "end_to_end_id";
// Statuses (documented: created, paid, canceled). `canceled` is what an unpaid code becomes when it
// lapses (the API has no cancel call), hence EXPIRED; `expired` and `refunded` are accepted for the
// same facts under their plain names.
constexpr StatusWord kStatuses[] = {
    {"created", GatewayStatus::kPending},  {"paid", GatewayStatus::kPaid},
    {"canceled", GatewayStatus::kExpired}, {"cancelled", GatewayStatus::kExpired},
    {"expired", GatewayStatus::kExpired},  {"refunded", GatewayStatus::kRefunded},
};
// Credentials.
constexpr std::string_view kApiKeyCredential = "api_key";
constexpr std::string_view kSplitAccountIdCredential = "split_account_id";
constexpr std::string_view kSplitPercentageCredential = "split_percentage";
// -------------------------------------------------------------------------------------------------

constexpr std::string_view kName = "pushinpay";
constexpr int64_t kSplitBpsMax = 5'000;  // PushinPay refuses splits above 50%
// ValidateCredentials reads the status of a transaction that cannot exist: 404 means the key was
// accepted.
constexpr std::string_view kProbeTransactionId = "00000000-0000-0000-0000-000000000000";
// Past this many tracked transactions, entries older than the interval are dropped (ids come from
// our own charges, so only reads within the last minute can remain).
constexpr size_t kTrackedTransactionsMax = 10'000;

using Kind = GatewayError::Kind;

Result<WebhookEvent, JsonFieldError> ReadTransaction(const JsonObject& object) {
  auto id = object.RequiredId(kIdField);
  if (!id.ok()) return Failure{id.error()};
  auto status = ReadStatusWord(object, kStatusField, kStatuses, "PushinPay");
  if (!status.ok()) return Failure{status.error()};
  auto amount = object.RequiredAmount(kValueField, BrlAsset(), AmountUnits::kMinor);
  if (!amount.ok()) return Failure{amount.error()};
  auto payer_name = object.OptionalString(kPayerNameField);
  if (!payer_name.ok()) return Failure{payer_name.error()};
  auto payer_document = object.OptionalString(kPayerDocumentField);
  if (!payer_document.ok()) return Failure{payer_document.error()};
  auto end_to_end = object.OptionalString(kEndToEndIdField, kProviderIdBytesMax);
  if (!end_to_end.ok()) return Failure{end_to_end.error()};

  WebhookEvent event;
  event.event_id = StatusEventId(id.value(), status.value().status);
  event.gateway_charge_id = std::move(id).value();
  event.status = status.value().status;
  event.amount = amount.value();
  event.payer_name = payer_name.value().value_or("");
  event.payer_document = payer_document.value().value_or("");
  event.end_to_end_id = end_to_end.value().value_or("");
  event.raw_status = std::move(status.value().raw);
  return event;
}

}  // namespace

GatewayDescription PushinPayGateway::Description() {
  return GatewayDescription{
      .name = std::string(kName),
      .display_name = "PushinPay",
      .required_credentials = {std::string(kApiKeyCredential)},
      .optional_credentials = {std::string(kSplitAccountIdCredential),
                               std::string(kSplitPercentageCredential)},
      .currency = "BRL",
      .units = AmountUnits::kMinor,
      .minimum = Amount(50, BrlAsset()),
      .maximum = std::nullopt,
      .signs_webhooks = false,
      .can_fetch_status = true,
  };
}

Result<std::unique_ptr<PayinGateway>, RegistryError> PushinPayGateway::Create(
    const Credentials& credentials, const GatewayContext& context) {
  const std::string_view account = CredentialOr(credentials, kSplitAccountIdCredential);
  const std::string_view percentage = CredentialOr(credentials, kSplitPercentageCredential);
  std::optional<Split> split;
  if (account.empty() != percentage.empty()) {
    return Failure{
        InvalidCredential(account.empty() ? kSplitAccountIdCredential : kSplitPercentageCredential,
                          "is needed too when the other split credential is set")};
  }
  if (!account.empty()) {
    auto bps = ParsePercentBps(percentage);
    if (!bps.ok()) return Failure{InvalidCredential(kSplitPercentageCredential, bps.error())};
    if (bps.value() > kSplitBpsMax) {
      return Failure{
          InvalidCredential(kSplitPercentageCredential, "must be at most 50 for PushinPay")};
    }
    split = Split{std::string(account), bps.value()};
  }
  return std::unique_ptr<PayinGateway>(new PushinPayGateway(
      context, std::string(CredentialOr(credentials, kApiKeyCredential)), std::move(split)));
}

PushinPayGateway::PushinPayGateway(GatewayContext context, std::string api_key,
                                   std::optional<Split> split)
    : description_(Description()),
      api_key_(std::move(api_key)),
      split_(std::move(split)),
      http_(std::move(context), std::string(kName), {api_key_}) {}

Result<CreatedCharge, GatewayError> PushinPayGateway::CreateCharge(
    const CreateChargeRequest& request) {
  if (auto error = CheckChargeRequest(request, description_)) return Failure{*error};
  JsonBodyWriter body;
  body.Raw(kValueField, MoneyJson(request.amount, AmountUnits::kMinor))
      .StringIfPresent(kWebhookUrlField, request.webhook_url);
  if (split_) {
    auto split_value = MulDiv(request.amount, split_->bps, 10'000, Rounding::kDown);
    if (split_value.ok() && split_value.value().IsPositive()) {
      const std::string rule =
          JsonBodyWriter()
              .Raw(kValueField, MoneyJson(split_value.value(), AmountUnits::kMinor))
              .String(kSplitAccountIdField, split_->account_id)
              .Finish();
      body.Raw(kSplitRulesField, "[" + rule + "]");
    }
  }
  net::ClientRequest http_request;
  http_request.method = "POST";
  http_request.url = http_.Url(kCashInPath);
  http_request.headers.push_back(BearerHeader(api_key_));
  http_request.body = body.Finish();
  auto document = http_.Call(std::move(http_request), "cash-in");
  if (!document.ok()) return Failure{document.error()};
  const JsonObject root = document.value().RootObject().value();
  auto id = root.RequiredId(kIdField);
  if (!id.ok()) return Failure{http_.BadResponse("cash-in", id.error())};
  auto pix_code = root.RequiredString(kQrCodeField);
  if (!pix_code.ok()) return Failure{http_.BadResponse("cash-in", pix_code.error())};
  // The gateway echoes the value: a different one means it did not charge what we asked.
  auto echoed = root.OptionalAmount(kValueField, BrlAsset(), AmountUnits::kMinor);
  if (!echoed.ok()) return Failure{http_.BadResponse("cash-in", echoed.error())};
  if (echoed.value() && *echoed.value() != request.amount) {
    return Failure{http_.BadResponse(
        "cash-in", {std::string(kValueField), "value differs from the amount requested"})};
  }
  CreatedCharge charge;
  charge.gateway_charge_id = std::move(id).value();
  charge.pix_code = std::move(pix_code).value();
  charge.status = GatewayStatus::kPending;
  return charge;
}

std::optional<GatewayError> PushinPayGateway::TakeStatusSlot(const std::string& id) {
  const int64_t now_ms = http_.context().clock->NowMs();
  std::lock_guard lock(status_mutex_);
  if (last_status_ms_.size() >= kTrackedTransactionsMax) {
    std::erase_if(last_status_ms_,
                  [&](const auto& entry) { return now_ms - entry.second >= kStatusIntervalMs; });
  }
  const auto last = last_status_ms_.find(id);
  if (last != last_status_ms_.end() && now_ms - last->second < kStatusIntervalMs) {
    GatewayError error = http_.Error(Kind::kRateLimited, "status",
                                     "is limited to one read a minute per transaction");
    error.retry_after_ms = kStatusIntervalMs - (now_ms - last->second);
    return error;
  }
  last_status_ms_[id] = now_ms;
  return std::nullopt;
}

Result<StatusReport, GatewayError> PushinPayGateway::FetchStatus(
    std::string_view gateway_charge_id) {
  if (gateway_charge_id.empty()) {
    return Failure{http_.Error(Kind::kInvalidRequest, "status", "needs a transaction id")};
  }
  // The slot is taken before the call: a read that fails on the way may still have reached
  // PushinPay and counts against its limit.
  if (auto limited = TakeStatusSlot(std::string(gateway_charge_id))) return Failure{*limited};
  net::ClientRequest request;
  request.url = http_.Url(std::string(kTransactionPath) + PercentEncode(gateway_charge_id));
  request.headers.push_back(BearerHeader(api_key_));
  auto document = http_.Call(std::move(request), "status");
  if (!document.ok()) return Failure{document.error()};
  auto transaction = ReadTransaction(document.value().RootObject().value());
  if (!transaction.ok()) return Failure{http_.BadResponse("status", transaction.error())};
  return StatusReport{transaction.value().status, transaction.value().amount,
                      transaction.value().raw_status, std::nullopt};
}

std::optional<GatewayError> PushinPayGateway::ValidateCredentials() {
  net::ClientRequest request;
  request.url = http_.Url(std::string(kTransactionPath) + std::string(kProbeTransactionId));
  request.headers.push_back(BearerHeader(api_key_));
  auto response = http_.Send(std::move(request), "credential check");
  if (!response.ok()) return response.error();
  if (response.value().status == 404) return std::nullopt;
  return http_.HttpErrorFor(response.value(), "credential check");
}

Result<WebhookEvent, WebhookRejection> PushinPayGateway::ParseWebhook(
    const WebhookRequest& request) const {
  auto document = ParseWebhookJson(request.body);
  if (!document.ok()) return Failure{document.error()};
  auto event = ReadTransaction(document.value().RootObject().value());
  if (!event.ok()) return Failure{Malformed(event.error())};
  return std::move(event).value();
}

}  // namespace cambista::payins
