#include "providers/buhopago/buhopago_gateway.hpp"

#include <algorithm>
#include <utility>

#include "security/hmac.hpp"

namespace cambista::payins {
namespace {

// --- BuhoPago's API shape: every path and field name, in one place ------------------------------
// Sources: PROVIDERS.md ("Venezuela (VES)"), seed 000, BuhoPago's public API documentation.
//
// POST /payment-links (Authorization: Bearer <api_key>)
//   {amount (bolívares, JSON number), currency: "VES", description (3 to 200 characters),
//    webhook_url, reference_id, expires_in_hours (1 to 8760)}
//   -> 201 {id, slug, url, amount, currency, status, qr_url, reference_id, expires_at}
constexpr std::string_view kPaymentLinksPath = "/payment-links";
constexpr std::string_view kAmountField = "amount";
constexpr std::string_view kCurrencyField = "currency";
constexpr std::string_view kDescriptionField = "description";
constexpr std::string_view kWebhookUrlField = "webhook_url";
constexpr std::string_view kReferenceIdField = "reference_id";
constexpr std::string_view kExpiresInHoursField = "expires_in_hours";
constexpr std::string_view kIdField = "id";
constexpr std::string_view kUrlField = "url";
// GET /payment-links/{id} -> {id, status (active | expired | used), payment_count,
//   total_collected (bolívares), ...}
constexpr std::string_view kStatusField = "status";
constexpr std::string_view kPaymentCountField = "payment_count";
constexpr std::string_view kTotalCollectedField = "total_collected";
// GET /api/v1/credits/capacity -> {capacity{volume_available, volume_processed_total,
//   volume_credited_total}} (bolívares, numbers or decimal strings)
constexpr std::string_view kCapacityPath = "/api/v1/credits/capacity";
constexpr std::string_view kCapacityField = "capacity";
constexpr std::string_view kVolumeAvailableField = "volume_available";
constexpr std::string_view kVolumeProcessedField = "volume_processed_total";
constexpr std::string_view kVolumeCreditedField = "volume_credited_total";
// POST /api/v1/credits/execute (Idempotency-Key: <key>) {bank_account_id, amount, concept}
//   -> {success, status ("APROBADA" | an in-process word), transaction_id, amount?}
// The Idempotency-Key header is our choice (PROVIDERS.md names none): harmless if ignored.
constexpr std::string_view kExecutePath = "/api/v1/credits/execute";
constexpr std::string_view kIdempotencyKeyHeader = "Idempotency-Key";
constexpr std::string_view kBankAccountIdField = "bank_account_id";
constexpr std::string_view kConceptField = "concept";
constexpr std::string_view kSuccessField = "success";
constexpr std::string_view kTransactionIdField = "transaction_id";
constexpr std::string_view kApprovedStatus = "aprobada";
// Webhook (X-Signature: hex HMAC-SHA256 of the raw body under webhook_secret):
//   {event: "payment.completed" | "transaction.completed" | ..., timestamp,
//    data{payment_link_id, transaction_id, amount (bolívares), currency, status, reference_id,
//         bank_reference, payer_email, completed_at}}
// Seed 000 reads transaction.completed's payload under `transaction` instead of `data`: both are
// read. A payment's expiry and refund come signed as payment.expired and payment.refunded (as the
// sandbox sends them): they are read too, since the link's status cannot tell a refund from a
// payment ("used"), so an ignored refund would never be learned. Other events (payment.pending,
// link events) are acknowledged and ignored.
constexpr std::string_view kSignatureHeader = "X-Signature";
constexpr std::string_view kEventField = "event";
constexpr std::string_view kDataField = "data";
constexpr std::string_view kTransactionField = "transaction";
constexpr std::string_view kPaymentLinkIdField = "payment_link_id";
constexpr std::string_view kBankReferenceField = "bank_reference";
struct EventKind {
  std::string_view event;
  GatewayStatus status;  // when the payload has no status of its own
};
constexpr EventKind kEvents[] = {
    {"payment.completed", GatewayStatus::kPaid},  {"transaction.completed", GatewayStatus::kPaid},
    {"payment.failed", GatewayStatus::kFailed},   {"transaction.failed", GatewayStatus::kFailed},
    {"payment.expired", GatewayStatus::kExpired}, {"payment.refunded", GatewayStatus::kRefunded},
};
// Transaction statuses (documented: pending, completed, failed).
constexpr StatusWord kTransactionStatuses[] = {
    {"pending", GatewayStatus::kPending},   {"completed", GatewayStatus::kPaid},
    {"failed", GatewayStatus::kFailed},     {"expired", GatewayStatus::kExpired},
    {"refunded", GatewayStatus::kRefunded},
};
// Payment link statuses; a link with payments is paid whatever its word.
constexpr StatusWord kLinkStatuses[] = {
    {"active", GatewayStatus::kPending},
    {"expired", GatewayStatus::kExpired},
    {"used", GatewayStatus::kPaid},
};
// Credentials.
constexpr std::string_view kApiKeyCredential = "api_key";
constexpr std::string_view kWebhookSecretCredential = "webhook_secret";
constexpr std::string_view kLiveKeyPrefix = "bp_live_";
constexpr std::string_view kTestKeyPrefix = "bp_test_";
// -------------------------------------------------------------------------------------------------

constexpr std::string_view kName = "buhopago";
constexpr std::string_view kCurrency = "VES";
constexpr size_t kDescriptionBytesMin = 3;
constexpr size_t kDescriptionBytesMax = 200;
constexpr size_t kConceptBytesMax = 200;
constexpr int64_t kExpiresInHoursMax = 8760;
constexpr std::string_view kBucketKey = "account";

using Kind = GatewayError::Kind;

WebhookRejection Rejection(WebhookRejection::Kind kind, std::string_view field,
                           std::string message) {
  return WebhookRejection{kind, std::string(field), std::move(message)};
}

}  // namespace

GatewayDescription BuhoPagoGateway::Description() {
  return GatewayDescription{
      .name = std::string(kName),
      .display_name = "BuhoPago",
      .required_credentials = {std::string(kApiKeyCredential),
                               std::string(kWebhookSecretCredential)},
      .optional_credentials = {},
      .currency = std::string(kCurrency),
      .units = AmountUnits::kMajor,
      .minimum = Amount(1, VesAsset()),
      .maximum = std::nullopt,
      .signs_webhooks = true,
      .can_fetch_status = true,
  };
}

Result<std::unique_ptr<BuhoPagoGateway>, RegistryError> BuhoPagoGateway::CreateTyped(
    const Credentials& credentials, const GatewayContext& context) {
  const std::string_view api_key = CredentialOr(credentials, kApiKeyCredential);
  const std::string_view secret = CredentialOr(credentials, kWebhookSecretCredential);
  if (api_key.empty())
    return Failure{RegistryError{std::string(kMissingCredential), std::string(kApiKeyCredential),
                                 "buhopago needs the credential api_key"}};
  if (secret.empty()) {
    return Failure{RegistryError{std::string(kMissingCredential),
                                 std::string(kWebhookSecretCredential),
                                 "buhopago needs the credential webhook_secret"}};
  }
  if ((!api_key.starts_with(kLiveKeyPrefix) && !api_key.starts_with(kTestKeyPrefix)) ||
      api_key.size() == kLiveKeyPrefix.size()) {
    return Failure{InvalidCredential(kApiKeyCredential, "must start with bp_live_ or bp_test_")};
  }
  return std::unique_ptr<BuhoPagoGateway>(
      new BuhoPagoGateway(context, std::string(api_key), std::string(secret)));
}

Result<std::unique_ptr<PayinGateway>, RegistryError> BuhoPagoGateway::Create(
    const Credentials& credentials, const GatewayContext& context) {
  auto gateway = CreateTyped(credentials, context);
  if (!gateway.ok()) return Failure{gateway.error()};
  return std::unique_ptr<PayinGateway>(std::move(gateway).value());
}

BuhoPagoGateway::BuhoPagoGateway(GatewayContext context, std::string api_key,
                                 std::string webhook_secret)
    : description_(Description()),
      api_key_(std::move(api_key)),
      webhook_secret_(std::move(webhook_secret)),
      http_(std::move(context), std::string(kName), {api_key_, webhook_secret_}),
      limiter_(*http_.context().clock,
               TokenBucketOptions{kBucketCapacityTokens, kBucketRefillTokensPerSecond, 1}) {}

std::optional<GatewayError> BuhoPagoGateway::TakeRequestToken(std::string_view operation) {
  const RateDecision decision = limiter_.TryAcquire(kBucketKey);
  if (decision.allowed) return std::nullopt;
  GatewayError error = http_.Error(Kind::kRateLimited, operation,
                                   "not sent: the account's 100 requests a minute are used up");
  error.retry_after_ms = decision.retry_after_ms;
  return error;
}

net::ClientRequest BuhoPagoGateway::Request(std::string method, std::string_view path) const {
  net::ClientRequest request;
  request.method = std::move(method);
  request.url = http_.Url(path);
  request.headers.push_back(BearerHeader(api_key_));
  return request;
}

Result<CreatedCharge, GatewayError> BuhoPagoGateway::CreateCharge(
    const CreateChargeRequest& request) {
  if (auto error = CheckChargeRequest(request, description_)) return Failure{*error};
  if (request.description.size() < kDescriptionBytesMin) {
    return Failure{GatewayError{Kind::kInvalidRequest,
                                "buhopago charge refused: description needs at least 3 "
                                "characters"}};
  }
  const int64_t hours =
      std::clamp<int64_t>((request.expires_in_seconds + 3599) / 3600, 1, kExpiresInHoursMax);
  JsonBodyWriter body;
  body.Raw(kAmountField, MoneyJson(request.amount, AmountUnits::kMajor))
      .String(kCurrencyField, kCurrency)
      .String(kDescriptionField, TruncateUtf8(request.description, kDescriptionBytesMax))
      .StringIfPresent(kWebhookUrlField, request.webhook_url)
      .StringIfPresent(kReferenceIdField, request.reference)
      .Integer(kExpiresInHoursField, hours);
  if (auto limited = TakeRequestToken("payment link")) return Failure{*limited};
  net::ClientRequest http_request = Request("POST", kPaymentLinksPath);
  http_request.body = body.Finish();
  auto document = http_.Call(std::move(http_request), "payment link");
  if (!document.ok()) return Failure{document.error()};
  const JsonObject root = document.value().RootObject().value();
  auto id = root.RequiredId(kIdField);
  if (!id.ok()) return Failure{http_.BadResponse("payment link", id.error())};
  auto url = root.RequiredString(kUrlField);
  if (!url.ok()) return Failure{http_.BadResponse("payment link", url.error())};
  auto echoed = root.OptionalAmount(kAmountField, VesAsset(), AmountUnits::kMajor);
  if (!echoed.ok()) return Failure{http_.BadResponse("payment link", echoed.error())};
  if (echoed.value() && *echoed.value() != request.amount) {
    return Failure{http_.BadResponse(
        "payment link", {std::string(kAmountField), "amount differs from the amount requested"})};
  }
  CreatedCharge charge;
  charge.gateway_charge_id = std::move(id).value();
  charge.payment_instructions = std::move(url).value();
  charge.status = GatewayStatus::kPending;
  return charge;
}

Result<StatusReport, GatewayError> BuhoPagoGateway::FetchStatus(
    std::string_view gateway_charge_id) {
  if (gateway_charge_id.empty()) {
    return Failure{http_.Error(Kind::kInvalidRequest, "status", "needs a payment link id")};
  }
  if (auto limited = TakeRequestToken("status")) return Failure{*limited};
  auto document = http_.Call(
      Request("GET", std::string(kPaymentLinksPath) + "/" + PercentEncode(gateway_charge_id)),
      "status");
  if (!document.ok()) return Failure{document.error()};
  const JsonObject root = document.value().RootObject().value();
  auto raw_status = root.RequiredString(kStatusField);
  if (!raw_status.ok()) return Failure{http_.BadResponse("status", raw_status.error())};
  auto payments = root.OptionalInteger(kPaymentCountField);
  if (!payments.ok()) return Failure{http_.BadResponse("status", payments.error())};
  auto collected = root.OptionalAmount(kTotalCollectedField, VesAsset(), AmountUnits::kMajor);
  if (!collected.ok()) return Failure{http_.BadResponse("status", collected.error())};
  auto status = MapStatusWord(kLinkStatuses, raw_status.value());
  if (!status) {
    return Failure{http_.BadResponse(
        "status", {std::string(kStatusField), "status is not a status BuhoPago documents"})};
  }
  StatusReport report;
  report.raw_status = std::move(raw_status).value();
  report.status = payments.value().value_or(0) > 0 ? GatewayStatus::kPaid : *status;
  if (report.status == GatewayStatus::kPaid) report.amount = collected.value();
  return report;
}

std::optional<GatewayError> BuhoPagoGateway::ValidateCredentials() {
  auto capacity = Capacity();
  if (!capacity.ok()) return capacity.error();
  return std::nullopt;
}

Result<BuhoPagoCapacity, GatewayError> BuhoPagoGateway::Capacity() {
  if (auto limited = TakeRequestToken("capacity")) return Failure{*limited};
  auto document = http_.Call(Request("GET", kCapacityPath), "capacity");
  if (!document.ok()) return Failure{document.error()};
  auto capacity = document.value().RootObject().value().RequiredObject(kCapacityField);
  if (!capacity.ok()) return Failure{http_.BadResponse("capacity", capacity.error())};
  const auto read = [&](std::string_view field) {
    return capacity.value().RequiredAmount(field, VesAsset(), AmountUnits::kMajor);
  };
  auto available = read(kVolumeAvailableField);
  if (!available.ok()) return Failure{http_.BadResponse("capacity", available.error())};
  auto processed = read(kVolumeProcessedField);
  if (!processed.ok()) return Failure{http_.BadResponse("capacity", processed.error())};
  auto credited = read(kVolumeCreditedField);
  if (!credited.ok()) return Failure{http_.BadResponse("capacity", credited.error())};
  return BuhoPagoCapacity{available.value(), processed.value(), credited.value()};
}

Result<BuhoPagoCredit, GatewayError> BuhoPagoGateway::ExecuteCredit(
    std::string_view bank_account_id, const Amount& amount, std::string_view description,
    std::string_view idempotency_key) {
  const auto refuse = [&](std::string_view what) {
    return Failure{http_.Error(Kind::kInvalidRequest, "credit", what)};
  };
  if (amount.asset() != VesAsset()) return refuse("needs an amount in VES");
  if (!amount.IsPositive()) return refuse("needs a positive amount");
  if (bank_account_id.empty()) return refuse("needs a bank account id");
  if (description.empty()) return refuse("needs a concept (description)");
  if (idempotency_key.empty()) return refuse("needs an idempotency key");
  if (auto limited = TakeRequestToken("credit")) return Failure{*limited};
  net::ClientRequest request = Request("POST", kExecutePath);
  request.headers.emplace_back(kIdempotencyKeyHeader, idempotency_key);
  request.body = JsonBodyWriter()
                     .String(kBankAccountIdField, bank_account_id)
                     .Raw(kAmountField, MoneyJson(amount, AmountUnits::kMajor))
                     .String(kConceptField, TruncateUtf8(description, kConceptBytesMax))
                     .Finish();
  auto document = http_.Call(std::move(request), "credit");
  if (!document.ok()) return Failure{document.error()};
  const JsonObject root = document.value().RootObject().value();
  auto success = root.OptionalBool(kSuccessField);
  if (!success.ok()) return Failure{http_.BadResponse("credit", success.error())};
  if (!success.value()) {
    return Failure{http_.BadResponse("credit", {std::string(kSuccessField), "success is missing"})};
  }
  auto status = root.RequiredString(kStatusField, kProviderIdBytesMax);
  if (!status.ok()) return Failure{http_.BadResponse("credit", status.error())};
  if (!*success.value()) {
    return Failure{http_.Error(Kind::kRejected, "credit",
                               "was not executed (" + http_.Sanitize(status.value(), 100) + ")")};
  }
  auto transaction_id = root.RequiredId(kTransactionIdField);
  if (!transaction_id.ok()) return Failure{http_.BadResponse("credit", transaction_id.error())};
  auto echoed = root.OptionalAmount(kAmountField, VesAsset(), AmountUnits::kMajor);
  if (!echoed.ok()) return Failure{http_.BadResponse("credit", echoed.error())};
  BuhoPagoCredit credit;
  credit.transaction_id = std::move(transaction_id).value();
  credit.approved = ToLowerAscii(status.value()) == kApprovedStatus;
  credit.status = std::move(status).value();
  credit.amount = echoed.value();
  return credit;
}

namespace {

// The signature first: nothing in an unsigned body is read.
std::optional<WebhookRejection> CheckSignature(const WebhookRequest& request,
                                               std::string_view webhook_secret) {
  const std::string_view signature = request.Header(kSignatureHeader);
  if (signature.empty()) {
    return Rejection(WebhookRejection::Kind::kBadSignature, kSignatureHeader,
                     "the X-Signature header is missing");
  }
  auto presented = HexDecode(signature);
  if (!presented.ok() || presented.value().size() != kSha256Bytes ||
      !ConstantTimeEquals(presented.value(), HmacSha256(webhook_secret, request.body))) {
    return Rejection(WebhookRejection::Kind::kBadSignature, kSignatureHeader,
                     "the X-Signature does not match the body");
  }
  return std::nullopt;
}

// The payment is under `data`, or under `transaction` as seed 000 sends it.
Result<JsonObject, WebhookRejection> PaymentObject(const JsonObject& root) {
  auto data = root.OptionalObject(kDataField);
  if (!data.ok()) return Failure{Malformed(data.error())};
  if (!data.value()) {
    data = root.OptionalObject(kTransactionField);
    if (!data.ok()) return Failure{Malformed(data.error())};
    if (!data.value()) {
      return Failure{Rejection(WebhookRejection::Kind::kMalformed, kDataField,
                               "data is missing (and so is transaction)")};
    }
  }
  return *data.value();
}

// The payment's own status word when it has one (`raw_status`), else the event's status.
Result<GatewayStatus, WebhookRejection> PaymentStatus(const JsonObject& payment,
                                                      GatewayStatus event_status,
                                                      std::optional<std::string>& raw_status) {
  auto read = payment.OptionalString(kStatusField, kProviderIdBytesMax);
  if (!read.ok()) return Failure{Malformed(read.error())};
  raw_status = std::move(read).value();
  if (!raw_status) return event_status;
  const auto mapped = MapStatusWord(kTransactionStatuses, *raw_status);
  if (!mapped) {
    const std::string field = payment.FieldPath(kStatusField);
    return Failure{Rejection(WebhookRejection::Kind::kMalformed, field,
                             field + " is not a status BuhoPago documents")};
  }
  return *mapped;
}

// The event from its payment; `event_name` stands for the status word when the payment has none.
Result<WebhookEvent, WebhookRejection> ReadPayment(const JsonObject& payment,
                                                   GatewayStatus event_status,
                                                   const std::string& event_name) {
  auto transaction_id = payment.RequiredId(kTransactionIdField);
  if (!transaction_id.ok()) return Failure{Malformed(transaction_id.error())};
  auto link_id = payment.OptionalId(kPaymentLinkIdField);
  if (!link_id.ok()) return Failure{Malformed(link_id.error())};
  auto amount = payment.RequiredAmount(kAmountField, VesAsset(), AmountUnits::kMajor);
  if (!amount.ok()) return Failure{Malformed(amount.error())};
  auto currency = payment.OptionalString(kCurrencyField, kProviderIdBytesMax);
  if (!currency.ok()) return Failure{Malformed(currency.error())};
  if (currency.value() && *currency.value() != kCurrency) {
    const std::string field = payment.FieldPath(kCurrencyField);
    return Failure{Rejection(WebhookRejection::Kind::kMalformed, field,
                             field + " must be VES: the amount would be read in another unit")};
  }
  std::optional<std::string> raw_status;
  auto status = PaymentStatus(payment, event_status, raw_status);
  if (!status.ok()) return Failure{status.error()};
  auto reference = payment.OptionalString(kReferenceIdField, kProviderIdBytesMax);
  if (!reference.ok()) return Failure{Malformed(reference.error())};
  auto bank_reference = payment.OptionalString(kBankReferenceField, kProviderIdBytesMax);
  if (!bank_reference.ok()) return Failure{Malformed(bank_reference.error())};

  WebhookEvent event;
  event.raw_status = raw_status.value_or(event_name);
  event.event_id = StatusEventId(transaction_id.value(), status.value());
  event.gateway_charge_id = link_id.value().value_or("");
  event.provider_hash = std::move(transaction_id).value();
  event.reference = reference.value().value_or("");
  event.end_to_end_id = bank_reference.value().value_or("");
  event.status = status.value();
  event.amount = amount.value();
  return event;
}

}  // namespace

Result<WebhookEvent, WebhookRejection> BuhoPagoGateway::ParseWebhook(
    const WebhookRequest& request) const {
  if (auto rejection = CheckSignature(request, webhook_secret_)) return Failure{*rejection};

  auto document = ParseWebhookJson(request.body);
  if (!document.ok()) return Failure{document.error()};
  const JsonObject root = document.value().RootObject().value();
  auto event_name = root.RequiredString(kEventField, kProviderIdBytesMax);
  if (!event_name.ok()) return Failure{Malformed(event_name.error())};
  const auto kind = std::find_if(std::begin(kEvents), std::end(kEvents), [&](const auto& entry) {
    return entry.event == ToLowerAscii(event_name.value());
  });
  if (kind == std::end(kEvents)) {
    return Failure{Rejection(WebhookRejection::Kind::kIgnored, kEventField,
                             "the event is not about a payment's outcome")};
  }
  auto payment = PaymentObject(root);
  if (!payment.ok()) return Failure{payment.error()};
  return ReadPayment(payment.value(), kind->status, event_name.value());
}

}  // namespace cambista::payins
