#include "providers/wiinpay/wiinpay_gateway.hpp"

#include <utility>

namespace cambista::payins {
namespace {

// --- WiinPay's API shape: every path and field name, in one place -------------------------------
// Sources: PROVIDERS.md ("The five PIX gateways"), seed 003, public integrations of
// api-v2.wiinpay.com.br.
//
// POST /payment/create
//   {api_key, value (reais, JSON number), name, email, description, webhook_url,
//    metadata{reference}, split{percentage, user_id}}
//   -> 201 {id, qr_code (the BR Code), qr_code_base64}
// Public integrations see the result inside `data{...}` at times and the id as `paymentId`: the
// wrapper is read when present, and `paymentId` when `id` is absent. `metadata.reference` carries
// our reference (the metadata's content is ours to choose).
constexpr std::string_view kCreatePath = "/payment/create";
constexpr std::string_view kApiKeyField = "api_key";
constexpr std::string_view kValueField = "value";
constexpr std::string_view kNameField = "name";
constexpr std::string_view kEmailField = "email";
constexpr std::string_view kDescriptionField = "description";
constexpr std::string_view kWebhookUrlField = "webhook_url";
constexpr std::string_view kMetadataField = "metadata";
constexpr std::string_view kMetadataReferenceField = "reference";
constexpr std::string_view kSplitField = "split";
constexpr std::string_view kSplitPercentageField = "percentage";
constexpr std::string_view kSplitUserIdField = "user_id";
constexpr std::string_view kDataField = "data";
constexpr std::string_view kIdField = "id";
constexpr std::string_view kPaymentIdField = "paymentId";
constexpr std::string_view kQrCodeField = "qr_code";
// WiinPay documents no status API and does not sign its webhooks: a webhook at the charge's
// tokenized callback URL is all there is (PROVIDERS.md).
constexpr std::string_view kStatusField = "status";
// Webhook: {id, status, value (reais), payer_name, payer_document, metadata{reference}?}
constexpr std::string_view kPayerNameField = "payer_name";
constexpr std::string_view kPayerDocumentField = "payer_document";
// Statuses (PROVIDERS.md lists none; these are the words seen in public integrations).
constexpr StatusWord kStatuses[] = {
    {"created", GatewayStatus::kPending},   {"pending", GatewayStatus::kPending},
    {"waiting", GatewayStatus::kPending},   {"paid", GatewayStatus::kPaid},
    {"approved", GatewayStatus::kPaid},     {"completed", GatewayStatus::kPaid},
    {"failed", GatewayStatus::kFailed},     {"canceled", GatewayStatus::kFailed},
    {"cancelled", GatewayStatus::kFailed},  {"expired", GatewayStatus::kExpired},
    {"refunded", GatewayStatus::kRefunded},
};
// Credentials.
constexpr std::string_view kApiKeyCredential = "api_key";
constexpr std::string_view kSplitUserIdCredential = "split_user_id";
constexpr std::string_view kSplitPercentageCredential = "split_percentage";
// -------------------------------------------------------------------------------------------------

constexpr std::string_view kName = "wiinpay";

using Kind = GatewayError::Kind;

// The `data` wrapper when there is one, else the root.
Result<JsonObject, JsonFieldError> Unwrap(const JsonObject& root) {
  auto data = root.OptionalObject(kDataField);
  if (!data.ok()) return Failure{data.error()};
  return data.value().value_or(root);
}

Result<GatewayStatus, JsonFieldError> ReadStatus(const JsonObject& object, std::string& raw) {
  auto status = ReadStatusWord(object, kStatusField, kStatuses, "WiinPay");
  if (!status.ok()) return Failure{status.error()};
  raw = std::move(status.value().raw);
  return status.value().status;
}

}  // namespace

GatewayDescription WiinPayGateway::Description() {
  return GatewayDescription{
      .name = std::string(kName),
      .display_name = "WiinPay",
      .required_credentials = {std::string(kApiKeyCredential)},
      .optional_credentials = {std::string(kSplitUserIdCredential),
                               std::string(kSplitPercentageCredential)},
      .currency = "BRL",
      .units = AmountUnits::kMajor,
      .minimum = Amount(300, BrlAsset()),
      .maximum = std::nullopt,
      .signs_webhooks = false,
      .can_fetch_status = false,
  };
}

Result<std::unique_ptr<PayinGateway>, RegistryError> WiinPayGateway::Create(
    const Credentials& credentials, const GatewayContext& context) {
  const std::string_view user = CredentialOr(credentials, kSplitUserIdCredential);
  const std::string_view percentage = CredentialOr(credentials, kSplitPercentageCredential);
  std::optional<Split> split;
  if (user.empty() != percentage.empty()) {
    return Failure{
        InvalidCredential(user.empty() ? kSplitUserIdCredential : kSplitPercentageCredential,
                          "is needed too when the other split credential is set")};
  }
  if (!user.empty()) {
    auto bps = ParsePercentBps(percentage);
    if (!bps.ok()) return Failure{InvalidCredential(kSplitPercentageCredential, bps.error())};
    split = Split{std::string(user), bps.value()};
  }
  return std::unique_ptr<PayinGateway>(new WiinPayGateway(
      context, std::string(CredentialOr(credentials, kApiKeyCredential)), std::move(split)));
}

WiinPayGateway::WiinPayGateway(GatewayContext context, std::string api_key,
                               std::optional<Split> split)
    : description_(Description()),
      api_key_(std::move(api_key)),
      split_(std::move(split)),
      http_(std::move(context), std::string(kName), {api_key_}) {}

Result<CreatedCharge, GatewayError> WiinPayGateway::CreateCharge(
    const CreateChargeRequest& request) {
  if (auto error = CheckChargeRequest(request, description_)) return Failure{*error};
  if (request.customer.name.empty() || request.customer.email.empty()) {
    return Failure{
        GatewayError{Kind::kInvalidRequest, std::string(kName) + " charge refused: customer." +
                                                (request.customer.name.empty() ? "name" : "email") +
                                                " is required by WiinPay"}};
  }
  JsonBodyWriter body;
  body.String(kApiKeyField, api_key_)
      .Raw(kValueField, MoneyJson(request.amount, AmountUnits::kMajor))
      .String(kNameField, request.customer.name)
      .String(kEmailField, request.customer.email)
      .String(kDescriptionField, request.description)
      .StringIfPresent(kWebhookUrlField, request.webhook_url);
  if (!request.reference.empty()) {
    body.Raw(kMetadataField,
             JsonBodyWriter().String(kMetadataReferenceField, request.reference).Finish());
  }
  if (split_) {
    body.Raw(kSplitField, JsonBodyWriter()
                              .Raw(kSplitPercentageField, PercentJson(split_->bps))
                              .String(kSplitUserIdField, split_->user_id)
                              .Finish());
  }
  net::ClientRequest http_request;
  http_request.method = "POST";
  http_request.url = http_.Url(kCreatePath);
  http_request.body = body.Finish();
  auto document = http_.Call(std::move(http_request), "payment");
  if (!document.ok()) return Failure{document.error()};
  auto payment = Unwrap(document.value().RootObject().value());
  if (!payment.ok()) return Failure{http_.BadResponse("payment", payment.error())};
  auto id = payment.value().Has(kIdField) || !payment.value().Has(kPaymentIdField)
                ? payment.value().RequiredId(kIdField)
                : payment.value().RequiredId(kPaymentIdField);
  if (!id.ok()) return Failure{http_.BadResponse("payment", id.error())};
  auto pix_code = payment.value().RequiredString(kQrCodeField);
  if (!pix_code.ok()) return Failure{http_.BadResponse("payment", pix_code.error())};
  CreatedCharge charge;
  charge.gateway_charge_id = std::move(id).value();
  charge.pix_code = std::move(pix_code).value();
  charge.status = GatewayStatus::kPending;
  return charge;
}

Result<StatusReport, GatewayError> WiinPayGateway::FetchStatus(std::string_view) {
  return Failure{http_.Error(Kind::kInvalidRequest, "status", "WiinPay has no status API")};
}

std::optional<GatewayError> WiinPayGateway::ValidateCredentials() {
  // WiinPay has no read-only call to prove a key with: the first charge does.
  return std::nullopt;
}

Result<WebhookEvent, WebhookRejection> WiinPayGateway::ParseWebhook(
    const WebhookRequest& request) const {
  auto document = ParseWebhookJson(request.body);
  if (!document.ok()) return Failure{document.error()};
  const JsonObject root = document.value().RootObject().value();
  auto id = root.RequiredId(kIdField);
  if (!id.ok()) return Failure{Malformed(id.error())};
  WebhookEvent event;
  auto status = ReadStatus(root, event.raw_status);
  if (!status.ok()) return Failure{Malformed(status.error())};
  auto amount = root.RequiredAmount(kValueField, BrlAsset(), AmountUnits::kMajor);
  if (!amount.ok()) return Failure{Malformed(amount.error())};
  auto payer_name = root.OptionalString(kPayerNameField);
  if (!payer_name.ok()) return Failure{Malformed(payer_name.error())};
  auto payer_document = root.OptionalString(kPayerDocumentField);
  if (!payer_document.ok()) return Failure{Malformed(payer_document.error())};
  auto metadata = root.OptionalObject(kMetadataField);
  if (!metadata.ok()) return Failure{Malformed(metadata.error())};
  if (metadata.value()) {
    auto reference = metadata.value()->OptionalString(kMetadataReferenceField, kProviderIdBytesMax);
    if (!reference.ok()) return Failure{Malformed(reference.error())};
    event.reference = reference.value().value_or("");
  }

  event.event_id = StatusEventId(id.value(), status.value());
  event.gateway_charge_id = std::move(id).value();
  event.status = status.value();
  event.amount = amount.value();
  event.payer_name = payer_name.value().value_or("");
  event.payer_document = payer_document.value().value_or("");
  return event;
}

}  // namespace cambista::payins
