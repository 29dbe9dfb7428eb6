#include "providers/paradise/paradise_gateway.hpp"

#include <utility>

namespace cambista::payins {
namespace {

// --- Paradise's API shape: every path and field name, in one place ------------------------------
// Sources: PROVIDERS.md ("The five PIX gateways"), seed 003, public integrations of
// multi.paradisepags.com.
//
// POST /api/v1/transaction.php (X-API-Key: <api_key>)
//   {amount (centavos), description, reference, productHash, offerHash, postback_url,
//    customer{name, email, phone, document}, split{store_id, amount (centavos)}}
//   -> {transaction{id, qr_code (the BR Code), qr_code_base64, expires_at}}
// `postback_url` (where Paradise posts the webhook) and `offerHash` are not in PROVIDERS.md; both
// are what public integrations send. The split object's fields are a guess (PROVIDERS.md only says
// `split{...}`; seed 003 says "split by fixed value via store_id"). Public integrations also read
// the response without the `transaction` wrapper: when it is absent the root is read.
constexpr std::string_view kTransactionPath = "/api/v1/transaction.php";
constexpr std::string_view kAmountField = "amount";
constexpr std::string_view kDescriptionField = "description";
constexpr std::string_view kReferenceField = "reference";
constexpr std::string_view kProductHashField = "productHash";
constexpr std::string_view kOfferHashField = "offerHash";
constexpr std::string_view kPostbackUrlField = "postback_url";
constexpr std::string_view kCustomerField = "customer";
constexpr std::string_view kCustomerNameField = "name";
constexpr std::string_view kCustomerEmailField = "email";
constexpr std::string_view kCustomerPhoneField = "phone";
constexpr std::string_view kCustomerDocumentField = "document";
constexpr std::string_view kSplitField = "split";
constexpr std::string_view kSplitStoreIdField = "store_id";
constexpr std::string_view kTransactionField = "transaction";
constexpr std::string_view kIdField = "id";
constexpr std::string_view kQrCodeField = "qr_code";
// GET /api/v1/check_status.php?hash={id} (X-API-Key) -> {payment_status, amount (centavos)?}
constexpr std::string_view kCheckStatusPath = "/api/v1/check_status.php?hash=";
constexpr std::string_view kPaymentStatusField = "payment_status";
// Webhook: {id, payment_status, amount (centavos), hash?, reference?}
constexpr std::string_view kHashField = "hash";
// Statuses (documented: paid, pending, refunded, approved, ...): the rest are the words of the
// same platform family (ÁtomoPay shares it) for the same facts.
constexpr StatusWord kStatuses[] = {
    {"pending", GatewayStatus::kPending},      {"waiting_payment", GatewayStatus::kPending},
    {"processing", GatewayStatus::kPending},   {"paid", GatewayStatus::kPaid},
    {"approved", GatewayStatus::kPaid},        {"refused", GatewayStatus::kFailed},
    {"failed", GatewayStatus::kFailed},        {"canceled", GatewayStatus::kFailed},
    {"cancelled", GatewayStatus::kFailed},     {"expired", GatewayStatus::kExpired},
    {"refunded", GatewayStatus::kRefunded},    {"chargeback", GatewayStatus::kRefunded},
    {"chargedback", GatewayStatus::kRefunded},
};
// Credentials.
constexpr std::string_view kApiKeyCredential = "api_key";
constexpr std::string_view kProductHashCredential = "product_hash";
constexpr std::string_view kOfferHashCredential = "offer_hash";
constexpr std::string_view kStoreIdCredential = "store_id";
constexpr std::string_view kSplitPercentageCredential = "split_percentage";
// -------------------------------------------------------------------------------------------------

constexpr std::string_view kName = "paradise";
// ValidateCredentials asks for the status of a transaction that cannot exist: 404 means the key was
// accepted.
constexpr std::string_view kProbeTransactionId = "cambista-credential-check";

using Kind = GatewayError::Kind;

Result<GatewayStatus, JsonFieldError> ReadStatus(const JsonObject& object, std::string& raw) {
  auto status = ReadStatusWord(object, kPaymentStatusField, kStatuses, "Paradise");
  if (!status.ok()) return Failure{status.error()};
  raw = std::move(status.value().raw);
  return status.value().status;
}

}  // namespace

GatewayDescription ParadiseGateway::Description() {
  return GatewayDescription{
      .name = std::string(kName),
      .display_name = "Paradise",
      .required_credentials = {std::string(kApiKeyCredential), std::string(kProductHashCredential)},
      .optional_credentials = {std::string(kOfferHashCredential), std::string(kStoreIdCredential),
                               std::string(kSplitPercentageCredential)},
      .currency = "BRL",
      .units = AmountUnits::kMinor,
      .minimum = Amount(1, BrlAsset()),
      .maximum = std::nullopt,
      .signs_webhooks = false,
      .can_fetch_status = true,
  };
}

Result<std::unique_ptr<PayinGateway>, RegistryError> ParadiseGateway::Create(
    const Credentials& credentials, const GatewayContext& context) {
  const std::string_view store = CredentialOr(credentials, kStoreIdCredential);
  const std::string_view percentage = CredentialOr(credentials, kSplitPercentageCredential);
  std::optional<Split> split;
  if (store.empty() != percentage.empty()) {
    return Failure{
        InvalidCredential(store.empty() ? kStoreIdCredential : kSplitPercentageCredential,
                          "is needed too when the other split credential is set")};
  }
  if (!store.empty()) {
    auto bps = ParsePercentBps(percentage);
    if (!bps.ok()) return Failure{InvalidCredential(kSplitPercentageCredential, bps.error())};
    split = Split{std::string(store), bps.value()};
  }
  return std::unique_ptr<PayinGateway>(new ParadiseGateway(
      context, std::string(CredentialOr(credentials, kApiKeyCredential)),
      std::string(CredentialOr(credentials, kProductHashCredential)),
      std::string(CredentialOr(credentials, kOfferHashCredential)), std::move(split)));
}

ParadiseGateway::ParadiseGateway(GatewayContext context, std::string api_key,
                                 std::string product_hash, std::string offer_hash,
                                 std::optional<Split> split)
    : description_(Description()),
      api_key_(std::move(api_key)),
      product_hash_(std::move(product_hash)),
      offer_hash_(std::move(offer_hash)),
      split_(std::move(split)),
      http_(std::move(context), std::string(kName), {api_key_}) {}

Result<CreatedCharge, GatewayError> ParadiseGateway::CreateCharge(
    const CreateChargeRequest& request) {
  if (auto error = CheckChargeRequest(request, description_)) return Failure{*error};
  JsonBodyWriter customer;
  customer.StringIfPresent(kCustomerNameField, request.customer.name)
      .StringIfPresent(kCustomerEmailField, request.customer.email)
      .StringIfPresent(kCustomerPhoneField, request.customer.phone)
      .StringIfPresent(kCustomerDocumentField, request.customer.document);
  JsonBodyWriter body;
  body.Raw(kAmountField, MoneyJson(request.amount, AmountUnits::kMinor))
      .String(kDescriptionField, request.description)
      .StringIfPresent(kReferenceField, request.reference)
      .String(kProductHashField, product_hash_)
      .StringIfPresent(kOfferHashField, offer_hash_)
      .StringIfPresent(kPostbackUrlField, request.webhook_url);
  if (!customer.empty()) body.Raw(kCustomerField, customer.Finish());
  if (split_) {
    auto split_amount = MulDiv(request.amount, split_->bps, 10'000, Rounding::kDown);
    if (split_amount.ok() && split_amount.value().IsPositive()) {
      body.Raw(kSplitField,
               JsonBodyWriter()
                   .String(kSplitStoreIdField, split_->store_id)
                   .Raw(kAmountField, MoneyJson(split_amount.value(), AmountUnits::kMinor))
                   .Finish());
    }
  }
  net::ClientRequest http_request;
  http_request.method = "POST";
  http_request.url = http_.Url(kTransactionPath);
  http_request.headers.emplace_back("X-API-Key", api_key_);
  http_request.body = body.Finish();
  auto document = http_.Call(std::move(http_request), "transaction");
  if (!document.ok()) return Failure{document.error()};
  const JsonObject root = document.value().RootObject().value();
  auto wrapped = root.OptionalObject(kTransactionField);
  if (!wrapped.ok()) return Failure{http_.BadResponse("transaction", wrapped.error())};
  const JsonObject transaction = wrapped.value().value_or(root);
  auto id = transaction.RequiredId(kIdField);
  if (!id.ok()) return Failure{http_.BadResponse("transaction", id.error())};
  auto pix_code = transaction.RequiredString(kQrCodeField);
  if (!pix_code.ok()) return Failure{http_.BadResponse("transaction", pix_code.error())};
  CreatedCharge charge;
  charge.gateway_charge_id = std::move(id).value();
  charge.pix_code = std::move(pix_code).value();
  charge.status = GatewayStatus::kPending;
  return charge;
}

net::ClientRequest ParadiseGateway::StatusRequest(std::string_view id) const {
  net::ClientRequest request;
  request.url = http_.Url(std::string(kCheckStatusPath) + PercentEncode(id));
  request.headers.emplace_back("X-API-Key", api_key_);
  return request;
}

Result<StatusReport, GatewayError> ParadiseGateway::FetchStatus(
    std::string_view gateway_charge_id) {
  if (gateway_charge_id.empty()) {
    return Failure{http_.Error(Kind::kInvalidRequest, "status", "needs a transaction id")};
  }
  auto document = http_.Call(StatusRequest(gateway_charge_id), "status");
  if (!document.ok()) return Failure{document.error()};
  const JsonObject root = document.value().RootObject().value();
  StatusReport report;
  auto status = ReadStatus(root, report.raw_status);
  if (!status.ok()) return Failure{http_.BadResponse("status", status.error())};
  report.status = status.value();
  auto amount = root.OptionalAmount(kAmountField, BrlAsset(), AmountUnits::kMinor);
  if (!amount.ok()) return Failure{http_.BadResponse("status", amount.error())};
  report.amount = amount.value();
  return report;
}

std::optional<GatewayError> ParadiseGateway::ValidateCredentials() {
  auto response = http_.Send(StatusRequest(kProbeTransactionId), "credential check");
  if (!response.ok()) return response.error();
  if (response.value().status == 404) return std::nullopt;
  return http_.HttpErrorFor(response.value(), "credential check");
}

Result<WebhookEvent, WebhookRejection> ParadiseGateway::ParseWebhook(
    const WebhookRequest& request) const {
  auto document = ParseWebhookJson(request.body);
  if (!document.ok()) return Failure{document.error()};
  const JsonObject root = document.value().RootObject().value();
  auto id = root.RequiredId(kIdField);
  if (!id.ok()) return Failure{Malformed(id.error())};
  WebhookEvent event;
  auto status = ReadStatus(root, event.raw_status);
  if (!status.ok()) return Failure{Malformed(status.error())};
  auto amount = root.RequiredAmount(kAmountField, BrlAsset(), AmountUnits::kMinor);
  if (!amount.ok()) return Failure{Malformed(amount.error())};
  auto hash = root.OptionalId(kHashField);
  if (!hash.ok()) return Failure{Malformed(hash.error())};
  auto reference = root.OptionalString(kReferenceField, kProviderIdBytesMax);
  if (!reference.ok()) return Failure{Malformed(reference.error())};

  event.event_id = StatusEventId(id.value(), status.value());
  event.gateway_charge_id = std::move(id).value();
  event.provider_hash = hash.value().value_or("");
  event.reference = reference.value().value_or("");
  event.status = status.value();
  event.amount = amount.value();
  return event;
}

}  // namespace cambista::payins
