#include "providers/atomopay/atomopay_gateway.hpp"

#include <utility>

namespace cambista::payins {
namespace {

// --- ÁtomoPay's API shape: every path and field name, in one place ------------------------------
// Sources: PROVIDERS.md ("The five PIX gateways"), seed 003, public integrations of
// api.atomopay.com.br (docs.atomopay.com.br).
//
// POST /api/public/v1/transactions?api_token=<api_token>
//   {amount (centavos), payment_method: "pix", offer_hash, postback_url, reference,
//    installments: 1, customer{name, email, phone_number, document},
//    cart[{product_hash, offer_hash, title, price (centavos), quantity: 1, operation_type: 1,
//          tangible: false}]}
//   -> {id, hash, payment_status, amount (centavos), pix{pix_qr_code (the BR Code), pix_url},
//       producer{hash}}, possibly inside {success, data{...}}
// PROVIDERS.md does not name the BR Code's field nor `reference`/`installments`: these are what
// public integrations send and read. The cart is sent only with a product_hash credential.
constexpr std::string_view kTransactionsPath = "/api/public/v1/transactions";
constexpr std::string_view kApiTokenQuery = "api_token";
constexpr std::string_view kAmountField = "amount";
constexpr std::string_view kPaymentMethodField = "payment_method";
constexpr std::string_view kPaymentMethodPix = "pix";
constexpr std::string_view kOfferHashField = "offer_hash";
constexpr std::string_view kPostbackUrlField = "postback_url";
constexpr std::string_view kReferenceField = "reference";
constexpr std::string_view kInstallmentsField = "installments";
constexpr std::string_view kCustomerField = "customer";
constexpr std::string_view kCustomerNameField = "name";
constexpr std::string_view kCustomerEmailField = "email";
constexpr std::string_view kCustomerPhoneField = "phone_number";
constexpr std::string_view kCustomerDocumentField = "document";
constexpr std::string_view kCartField = "cart";
constexpr std::string_view kCartProductHashField = "product_hash";
constexpr std::string_view kCartTitleField = "title";
constexpr std::string_view kCartPriceField = "price";
constexpr std::string_view kCartQuantityField = "quantity";
constexpr std::string_view kCartOperationTypeField = "operation_type";
constexpr std::string_view kCartTangibleField = "tangible";
constexpr std::string_view kDataField = "data";
constexpr std::string_view kIdField = "id";
constexpr std::string_view kHashField = "hash";
constexpr std::string_view kPaymentStatusField = "payment_status";
constexpr std::string_view kPixField = "pix";
constexpr std::string_view kPixCodeField = "pix_qr_code";
constexpr std::string_view kProducerField = "producer";
// GET /api/public/v1/transactions/{hash}?api_token= -> the same transaction, possibly wrapped.
// GET /api/public/v1/products?api_token=&page=1&per_page=1 -> 200 with a good token (the
// credential check: the cheapest authenticated read public integrations use).
constexpr std::string_view kProductsPath = "/api/public/v1/products";
constexpr std::string_view kProductsQuery = "&page=1&per_page=1";
// Webhooks, all shapes: {id, hash, payment_status, amount (centavos), reference,
//   producer{hash}} or the same with offer{producer{hash}} instead of producer.
constexpr std::string_view kOfferField = "offer";
// Statuses (PROVIDERS.md's list, plus `canceled` and `expired` for the same facts elsewhere).
constexpr StatusWord kStatuses[] = {
    {"waiting_payment", GatewayStatus::kPending}, {"processing", GatewayStatus::kPending},
    {"authorized", GatewayStatus::kPending},      {"paid", GatewayStatus::kPaid},
    {"refused", GatewayStatus::kFailed},          {"antifraud", GatewayStatus::kFailed},
    {"canceled", GatewayStatus::kFailed},         {"expired", GatewayStatus::kExpired},
    {"refunded", GatewayStatus::kRefunded},       {"chargedback", GatewayStatus::kRefunded},
};
// Credentials.
constexpr std::string_view kApiTokenCredential = "api_token";
constexpr std::string_view kOfferHashCredential = "offer_hash";
constexpr std::string_view kProductHashCredential = "product_hash";
// -------------------------------------------------------------------------------------------------

constexpr std::string_view kName = "atomopay";

using Kind = GatewayError::Kind;

// The `data` wrapper ({success, data{...}}) when there is one, else the root.
Result<JsonObject, JsonFieldError> Unwrap(const JsonObject& root) {
  auto data = root.OptionalObject(kDataField);
  if (!data.ok()) return Failure{data.error()};
  return data.value().value_or(root);
}

Result<GatewayStatus, JsonFieldError> ReadStatus(const JsonObject& object, std::string& raw) {
  auto status = ReadStatusWord(object, kPaymentStatusField, kStatuses, "ÁtomoPay");
  if (!status.ok()) return Failure{status.error()};
  raw = std::move(status.value().raw);
  return status.value().status;
}

// producer.hash, else offer.producer.hash; "" when neither is there.
Result<std::string, JsonFieldError> ReadProducerHash(const JsonObject& object) {
  auto producer = object.OptionalObject(kProducerField);
  if (!producer.ok()) return Failure{producer.error()};
  if (!producer.value()) {
    auto offer = object.OptionalObject(kOfferField);
    if (!offer.ok()) return Failure{offer.error()};
    if (!offer.value()) return std::string();
    producer = offer.value()->OptionalObject(kProducerField);
    if (!producer.ok()) return Failure{producer.error()};
    if (!producer.value()) return std::string();
  }
  auto hash = producer.value()->OptionalId(kHashField);
  if (!hash.ok()) return Failure{hash.error()};
  return hash.value().value_or("");
}

// POST /transactions' body; with a product hash, the charge is one cart item of that product.
std::string TransactionBody(const CreateChargeRequest& request, std::string_view offer_hash,
                            std::string_view product_hash) {
  const std::string amount = MoneyJson(request.amount, AmountUnits::kMinor);
  JsonBodyWriter customer;
  customer.StringIfPresent(kCustomerNameField, request.customer.name)
      .StringIfPresent(kCustomerEmailField, request.customer.email)
      .StringIfPresent(kCustomerPhoneField, request.customer.phone)
      .StringIfPresent(kCustomerDocumentField, request.customer.document);
  JsonBodyWriter body;
  body.Raw(kAmountField, amount)
      .String(kPaymentMethodField, kPaymentMethodPix)
      .StringIfPresent(kOfferHashField, offer_hash)
      .StringIfPresent(kPostbackUrlField, request.webhook_url)
      .StringIfPresent(kReferenceField, request.reference)
      .Integer(kInstallmentsField, 1);
  if (!customer.empty()) body.Raw(kCustomerField, customer.Finish());
  if (!product_hash.empty()) {
    JsonBodyWriter item;
    item.String(kCartProductHashField, product_hash)
        .StringIfPresent(kOfferHashField, offer_hash)
        .String(kCartTitleField, request.description)
        .Raw(kCartPriceField, amount)
        .Integer(kCartQuantityField, 1)
        .Integer(kCartOperationTypeField, 1)
        .Bool(kCartTangibleField, false);
    body.Raw(kCartField, "[" + item.Finish() + "]");
  }
  return body.Finish();
}

}  // namespace

GatewayDescription AtomoPayGateway::Description() {
  return GatewayDescription{
      .name = std::string(kName),
      .display_name = "ÁtomoPay",
      .required_credentials = {std::string(kApiTokenCredential)},
      .optional_credentials = {std::string(kOfferHashCredential),
                               std::string(kProductHashCredential)},
      .currency = "BRL",
      .units = AmountUnits::kMinor,
      .minimum = Amount(50, BrlAsset()),
      .maximum = std::nullopt,
      .signs_webhooks = false,
      .can_fetch_status = true,
  };
}

Result<std::unique_ptr<PayinGateway>, RegistryError> AtomoPayGateway::Create(
    const Credentials& credentials, const GatewayContext& context) {
  return std::unique_ptr<PayinGateway>(
      new AtomoPayGateway(context, std::string(CredentialOr(credentials, kApiTokenCredential)),
                          std::string(CredentialOr(credentials, kOfferHashCredential)),
                          std::string(CredentialOr(credentials, kProductHashCredential))));
}

AtomoPayGateway::AtomoPayGateway(GatewayContext context, std::string api_token,
                                 std::string offer_hash, std::string product_hash)
    : description_(Description()),
      api_token_(std::move(api_token)),
      offer_hash_(std::move(offer_hash)),
      product_hash_(std::move(product_hash)),
      http_(std::move(context), std::string(kName), {api_token_, PercentEncode(api_token_)}) {}

std::string AtomoPayGateway::Url(std::string_view path, std::string_view extra_query) const {
  return http_.Url(std::string(path) + "?" + std::string(kApiTokenQuery) + "=" +
                   PercentEncode(api_token_) + std::string(extra_query));
}

Result<CreatedCharge, GatewayError> AtomoPayGateway::CreateCharge(
    const CreateChargeRequest& request) {
  if (auto error = CheckChargeRequest(request, description_)) return Failure{*error};
  net::ClientRequest http_request;
  http_request.method = "POST";
  http_request.url = Url(kTransactionsPath);
  http_request.body = TransactionBody(request, offer_hash_, product_hash_);
  auto document = http_.Call(std::move(http_request), "transaction");
  if (!document.ok()) return Failure{document.error()};
  auto transaction = Unwrap(document.value().RootObject().value());
  if (!transaction.ok()) return Failure{http_.BadResponse("transaction", transaction.error())};
  const JsonObject& object = transaction.value();
  auto hash = object.RequiredId(kHashField);
  if (!hash.ok()) return Failure{http_.BadResponse("transaction", hash.error())};
  auto id = object.OptionalId(kIdField);
  if (!id.ok()) return Failure{http_.BadResponse("transaction", id.error())};
  CreatedCharge charge;
  if (object.Has(kPaymentStatusField)) {
    std::string raw;
    auto status = ReadStatus(object, raw);
    if (!status.ok()) return Failure{http_.BadResponse("transaction", status.error())};
    // ÁtomoPay can refuse at once (antifraud, bad product): 2xx with a failed transaction.
    if (status.value() == GatewayStatus::kFailed) {
      GatewayError error = http_.Error(
          Kind::kRejected, "transaction",
          "was refused by the gateway (" + http_.Sanitize(raw, kProviderIdBytesMax) + ")");
      return Failure{error};
    }
    charge.status = status.value();
  }
  auto pix = object.RequiredObject(kPixField);
  if (!pix.ok()) return Failure{http_.BadResponse("transaction", pix.error())};
  auto pix_code = pix.value().RequiredString(kPixCodeField);
  if (!pix_code.ok()) return Failure{http_.BadResponse("transaction", pix_code.error())};
  auto echoed = object.OptionalAmount(kAmountField, BrlAsset(), AmountUnits::kMinor);
  if (!echoed.ok()) return Failure{http_.BadResponse("transaction", echoed.error())};
  if (echoed.value() && *echoed.value() != request.amount) {
    return Failure{http_.BadResponse("transaction", {object.FieldPath(kAmountField),
                                                     "amount differs from the amount requested"})};
  }
  auto producer = ReadProducerHash(object);
  if (!producer.ok()) return Failure{http_.BadResponse("transaction", producer.error())};
  charge.gateway_charge_id = std::move(hash).value();
  charge.provider_hash = id.value().value_or("");
  charge.pix_code = std::move(pix_code).value();
  charge.tenant_hint = std::move(producer).value();
  return charge;
}

Result<StatusReport, GatewayError> AtomoPayGateway::FetchStatus(
    std::string_view gateway_charge_id) {
  if (gateway_charge_id.empty()) {
    return Failure{http_.Error(Kind::kInvalidRequest, "status", "needs a transaction hash")};
  }
  net::ClientRequest request;
  request.url = Url(std::string(kTransactionsPath) + "/" + PercentEncode(gateway_charge_id));
  auto document = http_.Call(std::move(request), "status");
  if (!document.ok()) return Failure{document.error()};
  auto transaction = Unwrap(document.value().RootObject().value());
  if (!transaction.ok()) return Failure{http_.BadResponse("status", transaction.error())};
  StatusReport report;
  auto status = ReadStatus(transaction.value(), report.raw_status);
  if (!status.ok()) return Failure{http_.BadResponse("status", status.error())};
  report.status = status.value();
  auto amount = transaction.value().OptionalAmount(kAmountField, BrlAsset(), AmountUnits::kMinor);
  if (!amount.ok()) return Failure{http_.BadResponse("status", amount.error())};
  report.amount = amount.value();
  return report;
}

std::optional<GatewayError> AtomoPayGateway::ValidateCredentials() {
  net::ClientRequest request;
  request.url = Url(kProductsPath, kProductsQuery);
  auto response = http_.Send(std::move(request), "credential check");
  if (!response.ok()) return response.error();
  return http_.HttpErrorFor(response.value(), "credential check");
}

Result<WebhookEvent, WebhookRejection> AtomoPayGateway::ParseWebhook(
    const WebhookRequest& request) const {
  auto document = ParseWebhookJson(request.body);
  if (!document.ok()) return Failure{document.error()};
  const JsonObject root = document.value().RootObject().value();
  auto hash = root.OptionalId(kHashField);
  if (!hash.ok()) return Failure{Malformed(hash.error())};
  auto id = root.OptionalId(kIdField);
  if (!id.ok()) return Failure{Malformed(id.error())};
  if (!hash.value() && !id.value()) {
    return Failure{WebhookRejection{WebhookRejection::Kind::kMalformed, std::string(kHashField),
                                    "hash is missing (and so is id)"}};
  }
  WebhookEvent event;
  auto status = ReadStatus(root, event.raw_status);
  if (!status.ok()) return Failure{Malformed(status.error())};
  auto amount = root.RequiredAmount(kAmountField, BrlAsset(), AmountUnits::kMinor);
  if (!amount.ok()) return Failure{Malformed(amount.error())};
  auto reference = root.OptionalString(kReferenceField, kProviderIdBytesMax);
  if (!reference.ok()) return Failure{Malformed(reference.error())};
  auto producer = ReadProducerHash(root);
  if (!producer.ok()) return Failure{Malformed(producer.error())};

  event.gateway_charge_id = hash.value().value_or("");
  event.provider_hash = id.value().value_or("");
  event.event_id = StatusEventId(hash.value() ? *hash.value() : *id.value(), status.value());
  event.reference = reference.value().value_or("");
  event.tenant_hint = std::move(producer).value();
  event.status = status.value();
  event.amount = amount.value();
  return event;
}

}  // namespace cambista::payins
