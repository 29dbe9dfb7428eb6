#include "providers/buhopago/buhopago_credits.hpp"
#include "providers/payout_gateway_error.hpp"

#include <algorithm>
#include <utility>

#include "core/ascii.hpp"
#include "security/hmac.hpp"

namespace cambista::payouts {
namespace {

// --- BuhoPago's credits API: every path and field name, in one place -----------------------------
// Source: PROVIDERS.md ("Venezuela (VES)") and seed 000. Every call: Authorization: Bearer <key>.
// Errors: {success: false, error, message}.
// GET /api/v1/credits/capacity -> {success, capacity {volume_available, volume_processed_total,
//   volume_credited_total}} (bolívares as JSON numbers).
constexpr std::string_view kCapacityPath = "/api/v1/credits/capacity";
constexpr std::string_view kCapacityField = "capacity";
constexpr std::string_view kAvailableField = "volume_available";
constexpr std::string_view kProcessedField = "volume_processed_total";
constexpr std::string_view kCreditedField = "volume_credited_total";
// POST /api/v1/credits/execute {bank_account_id, amount, concept, sandbox_callback_url?}
//   (Idempotency-Key header) -> {success, status, transaction_id, amount, bank_account_id,
//   concept, created_at}.
constexpr std::string_view kExecutePath = "/api/v1/credits/execute";
constexpr std::string_view kIdempotencyHeader = "Idempotency-Key";
constexpr std::string_view kBankAccountField = "bank_account_id";
constexpr std::string_view kAmountField = "amount";
constexpr std::string_view kConceptField = "concept";
constexpr std::string_view kCallbackUrlField = "sandbox_callback_url";  // the sandbox's extension
constexpr std::string_view kSuccessField = "success";
constexpr std::string_view kStatusField = "status";
constexpr std::string_view kTransactionIdField = "transaction_id";
constexpr std::string_view kMessageField = "message";
// ASSUMED (not documented by BuhoPago): GET /api/v1/credits?reference=&since=&cursor= ->
//   {success, data [credit], next_cursor}.
constexpr std::string_view kCreditsPath = "/api/v1/credits";
constexpr std::string_view kDataField = "data";
constexpr std::string_view kNextCursorField = "next_cursor";
// ASSUMED webhook (X-Signature: hex HMAC-SHA256 of the raw body): {id, event, timestamp, data:
//   credit}.
constexpr std::string_view kSignatureHeader = "X-Signature";
constexpr std::string_view kEventField = "event";
constexpr std::string_view kCompletedEvent = "credit.completed";
constexpr std::string_view kFailedEvent = "credit.failed";
// The concept carries our reference after this prefix.
constexpr std::string_view kConceptPrefix = "Cambista ";
struct StatusWord {
  std::string_view word;
  ProviderPayoutStatus status;
};
constexpr StatusWord kStatuses[] = {
    {"APROBADA", ProviderPayoutStatus::kPaid},
    {"EN PROCESO", ProviderPayoutStatus::kProcessing},
    {"PROCESANDO", ProviderPayoutStatus::kProcessing},
    {"PENDIENTE", ProviderPayoutStatus::kProcessing},
    {"PROCESSING", ProviderPayoutStatus::kProcessing},
    {"PENDING", ProviderPayoutStatus::kProcessing},
    {"RECHAZADA", ProviderPayoutStatus::kFailed},
    {"FALLIDA", ProviderPayoutStatus::kFailed},
    {"FAILED", ProviderPayoutStatus::kFailed},
    {"REJECTED", ProviderPayoutStatus::kFailed},
};
constexpr std::string_view kApiKeyCredential = "api_key";
constexpr std::string_view kBankAccountCredential = "bank_account_id";
constexpr std::string_view kWebhookSecretCredential = "webhook_secret";
// Pages read by Fetch before it concludes the credit is not there.
constexpr int kFetchPagesMax = 50;
constexpr size_t kSha256Bytes = 32;
// -------------------------------------------------------------------------------------------------

using Kind = ProviderError::Kind;
using payins::JsonDocument;
using payins::JsonFieldError;
using payins::JsonNode;
using payins::JsonObject;

const Asset& Ves() {
  static const Asset asset = Asset::Make("VES", 2).value();
  return asset;
}

std::optional<ProviderPayoutStatus> MapStatus(std::string_view raw) {
  for (const StatusWord& entry : kStatuses) {
    if (EqualsIgnoringAsciiCase(entry.word, raw)) return entry.status;
  }
  return std::nullopt;
}

bool IsReferenceChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// Our reference in a concept we wrote ("Cambista <reference>"); empty for any other concept.
std::string ReferenceOf(std::string_view concept_text) {
  if (!concept_text.starts_with(kConceptPrefix)) return {};
  const std::string_view rest = concept_text.substr(kConceptPrefix.size());
  if (rest.empty() || rest.size() > BuhoPagoCredits::kReferenceCharsMax ||
      !std::all_of(rest.begin(), rest.end(), IsReferenceChar)) {
    return {};
  }
  return std::string(rest);
}

JsonFieldError FieldError(const JsonObject& object, std::string_view key, std::string_view what) {
  const std::string field = object.FieldPath(key);
  return JsonFieldError{field, field + " " + std::string(what)};
}

// A credit object (execute's answer, a list item, a webhook's data).
Result<ProviderPayout, JsonFieldError> ReadCredit(const JsonObject& object) {
  ProviderPayout payout;
  auto id = object.RequiredId(kTransactionIdField);
  if (!id.ok()) return Failure{id.error()};
  payout.provider_id = std::move(id).value();
  auto status = object.RequiredString(kStatusField, payins::kProviderIdBytesMax);
  if (!status.ok()) return Failure{status.error()};
  const auto mapped = MapStatus(status.value());
  if (!mapped) {
    return Failure{FieldError(object, kStatusField, "is not a status BuhoPago is known to use")};
  }
  payout.status = *mapped;
  payout.is_final = *mapped != ProviderPayoutStatus::kProcessing;
  payout.raw_status = std::move(status).value();
  // BuhoPago writes bolívares as JSON numbers; a string is a shape it is not known to send.
  if (const JsonNode* node = object.node().Find(kAmountField);
      node != nullptr && node->IsString()) {
    return Failure{FieldError(object, kAmountField, "must be a JSON number")};
  }
  auto amount = object.RequiredAmount(kAmountField, Ves(), payins::AmountUnits::kMajor);
  if (!amount.ok()) return Failure{amount.error()};
  payout.amount = amount.value();
  auto concept_text = object.OptionalString(kConceptField);
  if (!concept_text.ok()) return Failure{concept_text.error()};
  payout.reference = ReferenceOf(concept_text.value().value_or(""));
  auto message = object.OptionalString(kMessageField, payins::kProviderMessageBytesMax);
  if (!message.ok()) return Failure{message.error()};
  payout.reason = message.value().value_or("");
  return payout;
}

CallbackRejection Rejection(CallbackRejection::Kind kind, std::string_view field,
                            std::string message) {
  return CallbackRejection{kind, std::string(field), std::move(message)};
}

CallbackRejection CallbackMalformed(const JsonFieldError& error) {
  return CallbackRejection{CallbackRejection::Kind::kMalformed, error.field, error.message};
}

// The signature first: nothing in an unsigned body is read.
std::optional<CallbackRejection> CheckSignature(const CallbackRequest& request,
                                                std::string_view secret) {
  using R = CallbackRejection::Kind;
  const std::string_view signature = request.Header(kSignatureHeader);
  if (signature.empty()) {
    return Rejection(R::kBadSignature, kSignatureHeader, "the X-Signature header is missing");
  }
  auto presented = HexDecode(signature);
  if (secret.empty() || !presented.ok() || presented.value().size() != kSha256Bytes ||
      !ConstantTimeEquals(presented.value(), HmacSha256(secret, request.body))) {
    return Rejection(R::kBadSignature, kSignatureHeader, "the X-Signature does not match the body");
  }
  return std::nullopt;
}

}  // namespace

ProviderDescription BuhoPagoCredits::Description() {
  return ProviderDescription{
      .name = std::string(kName),
      .display_name = "BuhoPago (bank credits)",
      .required_credentials = {std::string(kApiKeyCredential), std::string(kBankAccountCredential)},
      .optional_credentials = {std::string(kWebhookSecretCredential)},
      .routes = {PayoutRoute{"VES",
                             DestinationKind::kVesBank,
                             {},
                             Amount::Parse(kMinimum, Ves()).value(),
                             std::nullopt}},
      .signs_callbacks = true,
      .can_cancel = false,
      .own_account_only = true,
  };
}

Result<std::unique_ptr<BuhoPagoCredits>, ProviderError> BuhoPagoCredits::Create(
    const Credentials& credentials, const ProviderContext& context) {
  const auto credential = [&](std::string_view name) -> std::string_view {
    const auto found = credentials.find(name);
    return found == credentials.end() ? std::string_view() : std::string_view(found->second);
  };
  const std::string_view api_key = credential(kApiKeyCredential);
  const std::string_view bank_account = credential(kBankAccountCredential);
  if (api_key.empty() || bank_account.empty()) {
    return Failure{ProviderError{Kind::kInvalidRequest,
                                 "buhopago needs the credentials api_key and bank_account_id"}};
  }
  if (!api_key.starts_with("bp_live_") && !api_key.starts_with("bp_test_")) {
    return Failure{ProviderError{Kind::kInvalidRequest,
                                 "buhopago api_key must start with bp_live_ or bp_test_"}};
  }
  if (bank_account.size() > payins::kProviderIdBytesMax) {
    return Failure{ProviderError{Kind::kInvalidRequest, "buhopago bank_account_id is too long"}};
  }
  if (context.http == nullptr || context.clock == nullptr || context.base_url.empty()) {
    return Failure{ProviderError{Kind::kInvalidRequest,
                                 "buhopago needs an HTTP client, a clock and a base URL"}};
  }
  return std::unique_ptr<BuhoPagoCredits>(
      new BuhoPagoCredits(context, std::string(api_key), std::string(bank_account),
                          std::string(credential(kWebhookSecretCredential))));
}

BuhoPagoCredits::BuhoPagoCredits(const ProviderContext& context, std::string api_key,
                                 std::string bank_account_id, std::string webhook_secret)
    : description_(Description()),
      api_key_(std::move(api_key)),
      bank_account_id_(std::move(bank_account_id)),
      webhook_secret_(std::move(webhook_secret)),
      http_(
          payins::GatewayContext{context.http, context.clock, context.base_url, context.timeout_ms},
          std::string(kName), {api_key_, webhook_secret_}) {}

ProviderError BuhoPagoCredits::Error(Kind kind, std::string_view operation,
                                     std::string_view what) const {
  return ProviderError{kind,
                       std::string(kName) + " " + std::string(operation) + " " + std::string(what)};
}

ProviderError BuhoPagoCredits::BadResponse(std::string_view operation,
                                           const JsonFieldError& error) const {
  return FromGatewayError(http_.BadResponse(operation, error));
}

Result<JsonDocument, ProviderError> BuhoPagoCredits::Call(std::string_view method,
                                                          std::string_view path, std::string body,
                                                          std::string_view operation,
                                                          std::string_view idempotency_key) const {
  net::ClientRequest request;
  request.method = std::string(method);
  request.url = http_.Url(path);
  request.headers.push_back(payins::BearerHeader(api_key_));
  if (!idempotency_key.empty()) request.headers.emplace_back(kIdempotencyHeader, idempotency_key);
  request.body = std::move(body);
  auto document = http_.Call(std::move(request), operation);
  if (!document.ok()) return Failure{FromGatewayError(document.error())};
  const JsonObject root = document.value().RootObject().value();
  auto success = root.OptionalBool(kSuccessField);
  if (!success.ok()) return Failure{BadResponse(operation, success.error())};
  if (!success.value().value_or(true)) {
    auto message = root.OptionalString(kMessageField);
    return Failure{
        Error(Kind::kRejected, operation,
              "answered success: false" + (message.ok() && message.value()
                                               ? ": " + http_.Sanitize(*message.value(), 200)
                                               : std::string()))};
  }
  return std::move(document).value();
}

std::optional<ProviderError> BuhoPagoCredits::CheckRequest(const PayoutRequest& request) const {
  const auto refuse = [&](const std::string& what) {
    return Error(Kind::kInvalidRequest, "credit", "refused: " + what);
  };
  const std::string_view reference = request.reference;
  if (reference.empty() || reference.size() > kReferenceCharsMax ||
      !std::all_of(reference.begin(), reference.end(), IsReferenceChar)) {
    return refuse("the reference must be 1 to 32 characters of [A-Za-z0-9_-]");
  }
  if (request.destination.kind != DestinationKind::kVesBank) {
    return refuse("buhopago credits VES bank accounts only");
  }
  if (request.amount.asset() != Ves()) {
    return refuse(std::string(request.amount.asset().code()) + " (scale " +
                  std::to_string(request.amount.asset().scale()) + ") is not VES (scale 2)");
  }
  const PayoutRoute& route = description_.routes.front();
  if (request.amount < route.minimum) {
    return refuse("the amount " + request.amount.ToString() + " is below the minimum of " +
                  route.minimum.ToString());
  }
  return std::nullopt;
}

Result<ProviderPayout, ProviderError> BuhoPagoCredits::Create(const PayoutRequest& request) {
  if (auto refused = CheckRequest(request)) return Failure{*refused};
  std::string body = payins::JsonBodyWriter()
                         .String(kBankAccountField, bank_account_id_)
                         .Raw(kAmountField, request.amount.ToDecimalString())
                         .String(kConceptField, std::string(kConceptPrefix) + request.reference)
                         .StringIfPresent(kCallbackUrlField, request.callback_url)
                         .Finish();
  auto document = Call("POST", kExecutePath, std::move(body), "credit", request.reference);
  if (!document.ok()) return Failure{document.error()};
  auto payout = ReadCredit(document.value().RootObject().value());
  if (!payout.ok()) return Failure{BadResponse("credit", payout.error())};
  if (payout.value().reference != request.reference) {
    return Failure{BadResponse(
        "credit", {std::string(kConceptField), "concept does not carry the reference sent"})};
  }
  if (payout.value().amount != request.amount) {
    return Failure{Error(Kind::kRejected, "credit",
                         "refused: the reference already names a credit of another amount")};
  }
  return std::move(payout).value();
}

Result<ProviderPayout, ProviderError> BuhoPagoCredits::Fetch(std::string_view reference) {
  if (reference.empty()) {
    return Failure{Error(Kind::kInvalidRequest, "fetch", "needs a reference")};
  }
  std::string cursor;
  for (int page = 0; page < kFetchPagesMax; ++page) {
    std::string path = std::string(kCreditsPath) + "?reference=" + payins::PercentEncode(reference);
    if (!cursor.empty()) path += "&cursor=" + payins::PercentEncode(cursor);
    auto document = Call("GET", path, "", "fetch");
    if (!document.ok()) return Failure{document.error()};
    const JsonObject root = document.value().RootObject().value();
    const JsonNode* data = root.node().Find(kDataField);
    if (data == nullptr || !data->IsArray()) {
      return Failure{BadResponse("fetch", {std::string(kDataField), "data must be an array"})};
    }
    for (size_t i = 0; i < data->size(); ++i) {
      const std::string path_of_item = "data[" + std::to_string(i) + "]";
      if (!data->child(i).IsObject()) {
        return Failure{BadResponse("fetch", {path_of_item, path_of_item + " must be an object"})};
      }
      auto payout = ReadCredit(JsonObject(data->child(i), path_of_item));
      if (!payout.ok()) return Failure{BadResponse("fetch", payout.error())};
      if (payout.value().reference == reference) return std::move(payout).value();
    }
    auto next = root.OptionalString(kNextCursorField, payins::kProviderIdBytesMax);
    if (!next.ok()) return Failure{BadResponse("fetch", next.error())};
    cursor = next.value().value_or("");
    if (cursor.empty()) break;
  }
  return Failure{Error(Kind::kNotFound, "fetch", "found no credit with that reference")};
}

Result<ProviderPayout, ProviderError> BuhoPagoCredits::Cancel(std::string_view) {
  return Failure{
      Error(Kind::kInvalidRequest, "cancel", "is not possible: a BuhoPago credit is immediate")};
}

Result<ProviderPayout, CallbackRejection> BuhoPagoCredits::ParseCallback(
    const CallbackRequest& request) const {
  using R = CallbackRejection::Kind;
  if (auto rejection = CheckSignature(request, webhook_secret_)) return Failure{*rejection};
  auto document = JsonDocument::Parse(request.body);
  if (!document.ok()) return Failure{CallbackMalformed(document.error())};
  auto root = document.value().RootObject();
  if (!root.ok()) return Failure{CallbackMalformed(root.error())};
  auto event = root.value().RequiredString(kEventField, payins::kProviderIdBytesMax);
  if (!event.ok()) return Failure{CallbackMalformed(event.error())};
  const bool completed = EqualsIgnoringAsciiCase(event.value(), kCompletedEvent);
  if (!completed && !EqualsIgnoringAsciiCase(event.value(), kFailedEvent)) {
    return Failure{Rejection(R::kIgnored, kEventField, "the event is not about a credit")};
  }
  auto data = root.value().RequiredObject(kDataField);
  if (!data.ok()) return Failure{CallbackMalformed(data.error())};
  auto payout = ReadCredit(data.value());
  if (!payout.ok()) return Failure{CallbackMalformed(payout.error())};
  const ProviderPayoutStatus expected =
      completed ? ProviderPayoutStatus::kPaid : ProviderPayoutStatus::kFailed;
  if (payout.value().status != expected) {
    return Failure{CallbackMalformed(
        FieldError(data.value(), kStatusField, "does not agree with the event " + event.value()))};
  }
  if (payout.value().reference.empty()) {
    return Failure{CallbackMalformed(
        FieldError(data.value(), kConceptField, "does not carry a Cambista reference"))};
  }
  return std::move(payout).value();
}

Result<std::vector<ProviderCapacity>, ProviderError> BuhoPagoCredits::ReadCapacity() {
  auto document = Call("GET", kCapacityPath, "", "capacity");
  if (!document.ok()) return Failure{document.error()};
  auto capacity = document.value().RootObject().value().RequiredObject(kCapacityField);
  if (!capacity.ok()) return Failure{BadResponse("capacity", capacity.error())};
  const auto read = [&](std::string_view key) {
    return capacity.value().RequiredAmount(key, Ves(), payins::AmountUnits::kMajor);
  };
  auto available = read(kAvailableField);
  if (!available.ok()) return Failure{BadResponse("capacity", available.error())};
  auto processed = read(kProcessedField);
  if (!processed.ok()) return Failure{BadResponse("capacity", processed.error())};
  auto credited = read(kCreditedField);
  if (!credited.ok()) return Failure{BadResponse("capacity", credited.error())};
  return std::vector<ProviderCapacity>{
      ProviderCapacity{"VES", available.value(), processed.value(), credited.value()}};
}

Result<PayoutPage, ProviderError> BuhoPagoCredits::List(int64_t since_ms, std::string_view cursor) {
  std::string path =
      std::string(kCreditsPath) + "?since=" + std::to_string(std::max<int64_t>(since_ms, 0));
  if (!cursor.empty()) path += "&cursor=" + payins::PercentEncode(cursor);
  auto document = Call("GET", path, "", "list");
  if (!document.ok()) return Failure{document.error()};
  const JsonObject root = document.value().RootObject().value();
  const JsonNode* data = root.node().Find(kDataField);
  if (data == nullptr || !data->IsArray()) {
    return Failure{BadResponse("list", {std::string(kDataField), "data must be an array"})};
  }
  PayoutPage page;
  for (size_t i = 0; i < data->size(); ++i) {
    const std::string path_of_item = "data[" + std::to_string(i) + "]";
    if (!data->child(i).IsObject()) {
      return Failure{BadResponse("list", {path_of_item, path_of_item + " must be an object"})};
    }
    auto payout = ReadCredit(JsonObject(data->child(i), path_of_item));
    if (!payout.ok()) return Failure{BadResponse("list", payout.error())};
    page.payouts.push_back(std::move(payout).value());
  }
  auto next = root.OptionalString(kNextCursorField, payins::kProviderIdBytesMax);
  if (!next.ok()) return Failure{BadResponse("list", next.error())};
  page.next_cursor = next.value().value_or("");
  return page;
}

}  // namespace cambista::payouts
