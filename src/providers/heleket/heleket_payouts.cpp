#include "providers/heleket/heleket_payouts.hpp"
#include "providers/payout_gateway_error.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <utility>

#include "core/ascii.hpp"
#include "core/int128.hpp"
#include "providers/heleket/heleket_sign.hpp"

namespace cambista::payouts {
namespace {

// --- Heleket's API shape: every path and field name, in one place ------------------------------
// Source: PROVIDERS.md ("Crypto payout provider: Heleket (Cryptomus-compatible)").
// Every request: POST, headers merchant: <uuid>, sign: md5(base64(body) + payout_api_key).
// Every answer: {state: 0, result: ...}; an error {state: 1, message?, errors?{field: [text]}}.
constexpr std::string_view kMerchantHeader = "merchant";
constexpr std::string_view kSignHeader = "sign";
constexpr std::string_view kStateField = "state";
constexpr std::string_view kResultField = "result";
// POST /v1/payout {amount (string), currency, order_id, address, is_subtract, network,
//   url_callback, priority} -> result {uuid, order_id?, amount, commission?, currency, network,
//   address, txid, status, is_final, balance, message?}. Idempotent by order_id.
constexpr std::string_view kPayoutPath = "/v1/payout";
constexpr std::string_view kAmountField = "amount";
constexpr std::string_view kCurrencyField = "currency";
constexpr std::string_view kOrderIdField = "order_id";
constexpr std::string_view kAddressField = "address";
constexpr std::string_view kIsSubtractField = "is_subtract";
constexpr std::string_view kNetworkField = "network";
constexpr std::string_view kUrlCallbackField = "url_callback";
constexpr std::string_view kPriorityField = "priority";
constexpr std::string_view kPriority = "recommended";
constexpr std::string_view kUuidField = "uuid";
constexpr std::string_view kCommissionField = "commission";
constexpr std::string_view kTxidField = "txid";
constexpr std::string_view kStatusField = "status";
constexpr std::string_view kIsFinalField = "is_final";
constexpr std::string_view kMessageField = "message";
// POST /v1/payout/info {order_id} -> result as above; 404 when unknown.
constexpr std::string_view kInfoPath = "/v1/payout/info";
// POST /v1/payout/list?cursor=<c> {date_from: "YYYY-MM-DD HH:MM:SS"} -> result {items: [payout],
//   paginate {nextCursor}}.
constexpr std::string_view kListPath = "/v1/payout/list";
constexpr std::string_view kDateFromField = "date_from";
constexpr std::string_view kItemsField = "items";
constexpr std::string_view kPaginateField = "paginate";
constexpr std::string_view kNextCursorField = "nextCursor";
// POST /v1/balance (empty body) -> result [{balance {merchant: [{uuid, balance, currency_code}],
//   user: [...]}}]. The merchant balances are what payouts spend.
constexpr std::string_view kBalancePath = "/v1/balance";
constexpr std::string_view kBalanceField = "balance";
constexpr std::string_view kMerchantField = "merchant";
constexpr std::string_view kCurrencyCodeField = "currency_code";
// Callback: {type: "payout", uuid, order_id, amount, commission, is_final, status, txid, network,
//   currency?, sign}.
constexpr std::string_view kTypeField = "type";
constexpr std::string_view kPayoutType = "payout";
struct StatusWord {
  std::string_view word;
  ProviderPayoutStatus status;
};
constexpr StatusWord kStatuses[] = {
    {"process", ProviderPayoutStatus::kProcessing}, {"check", ProviderPayoutStatus::kProcessing},
    {"paid", ProviderPayoutStatus::kPaid},          {"fail", ProviderPayoutStatus::kFailed},
    {"system_fail", ProviderPayoutStatus::kFailed}, {"cancel", ProviderPayoutStatus::kCancelled},
};
constexpr std::string_view kMerchantCredential = "merchant";
constexpr std::string_view kApiKeyCredential = "payout_api_key";
// -------------------------------------------------------------------------------------------------

using Kind = ProviderError::Kind;
using payins::JsonDocument;
using payins::JsonFieldError;
using payins::JsonNode;
using payins::JsonObject;

Asset MakeAsset(std::string_view code, int scale) {
  return Asset::Make(code, scale).value();
}
const Asset& Usdt() {
  static const Asset asset = MakeAsset("USDT", 6);
  return asset;
}
const Asset& Trx() {
  static const Asset asset = MakeAsset("TRX", 6);
  return asset;
}
const Asset& Eth() {
  static const Asset asset = MakeAsset("ETH", 18);
  return asset;
}

// The asset Heleket names `code` (any case), when we serve it.
std::optional<Asset> ServedAsset(std::string_view code) {
  for (const Asset* asset : {&Usdt(), &Trx(), &Eth()}) {
    if (EqualsIgnoringAsciiCase(asset->code(), code)) return *asset;
  }
  return std::nullopt;
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

bool IsUuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    const char c = text[i];
    const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (dash ? c != '-' : !hex) return false;
  }
  return true;
}

// A decimal (JSON number or string) rounded once to the asset's scale: for what Heleket writes
// with more decimals than we keep (commissions, balances). Refuses signs, exponents and junk.
Result<Amount, std::string> ReadRounded(std::string_view text, const Asset& asset,
                                        Rounding rounding) {
  const size_t point = text.find('.');
  const std::string_view whole = text.substr(0, point);
  std::string_view fraction = point == std::string_view::npos ? "" : text.substr(point + 1);
  const auto digits = [](std::string_view part) {
    return std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (whole.empty() || !digits(whole) || (point != std::string_view::npos && fraction.empty()) ||
      !digits(fraction)) {
    return Failure{std::string("is not a decimal amount (digits, optionally '.' and digits)")};
  }
  const auto scale = static_cast<size_t>(asset.scale());
  const bool beyond = fraction.size() > scale &&
                      fraction.substr(scale).find_first_not_of('0') != std::string_view::npos;
  fraction = fraction.substr(0, std::min(fraction.size(), scale));
  auto amount = Amount::Parse(
      std::string(whole) + (fraction.empty() ? "" : ".") + std::string(fraction), asset);
  if (!amount.ok()) return Failure{std::string("is too large")};
  if (!beyond || rounding != Rounding::kUp) return amount.value();
  auto up = amount.value().Add(Amount(1, asset));
  if (!up.ok()) return Failure{std::string("is too large")};
  return up.value();
}

Result<std::optional<Amount>, JsonFieldError> OptionalRounded(const JsonObject& object,
                                                              std::string_view key,
                                                              const Asset& asset,
                                                              Rounding rounding) {
  const JsonNode* node = object.node().Find(key);
  if (node == nullptr || node->IsNull()) return std::optional<Amount>();
  const std::string field = object.FieldPath(key);
  if (!node->IsNumber() && !node->IsString()) {
    return Failure{JsonFieldError{field, field + " must be a decimal string or number"}};
  }
  auto amount = ReadRounded(node->text(), asset, rounding);
  if (!amount.ok()) return Failure{JsonFieldError{field, field + " " + amount.error()}};
  return std::optional<Amount>(amount.value());
}

// "YYYY-MM-DD HH:MM:SS" (UTC) of `unix_ms`, rounded down to the second.
std::string HeleketDate(int64_t unix_ms) {
  using namespace std::chrono;
  const sys_seconds at{seconds{unix_ms >= 0 ? unix_ms / 1000 : 0}};
  const sys_days day = floor<days>(at);
  const year_month_day date{day};
  const hh_mm_ss time{at - day};
  char text[32];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u %02d:%02d:%02d", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                static_cast<int>(time.seconds().count()));
  return text;
}

JsonFieldError FieldError(const JsonObject& object, std::string_view key, std::string_view what) {
  const std::string field = object.FieldPath(key);
  return JsonFieldError{field, field + " " + std::string(what)};
}

}  // namespace

namespace {

// The status, is_final, ids and texts of a payout object (an answer's result, a list item or a
// callback).
Result<ProviderPayout, JsonFieldError> ReadPayoutFields(const JsonObject& object) {
  ProviderPayout payout;
  auto uuid = object.RequiredId(kUuidField);
  if (!uuid.ok()) return Failure{uuid.error()};
  payout.provider_id = std::move(uuid).value();
  auto order_id = object.OptionalString(kOrderIdField, payins::kProviderIdBytesMax);
  if (!order_id.ok()) return Failure{order_id.error()};
  payout.reference = order_id.value().value_or("");
  auto status = object.RequiredString(kStatusField, payins::kProviderIdBytesMax);
  if (!status.ok()) return Failure{status.error()};
  const auto mapped = MapStatus(status.value());
  if (!mapped)
    return Failure{FieldError(object, kStatusField, "is not a status Heleket documents")};
  payout.status = *mapped;
  payout.raw_status = std::move(status).value();
  auto is_final = object.OptionalBool(kIsFinalField);
  if (!is_final.ok()) return Failure{is_final.error()};
  if (!is_final.value()) return Failure{FieldError(object, kIsFinalField, "is missing")};
  payout.is_final = *is_final.value();
  auto txid = object.OptionalString(kTxidField, payins::kProviderIdBytesMax);
  if (!txid.ok()) return Failure{txid.error()};
  payout.txid = txid.value().value_or("");
  auto message = object.OptionalString(kMessageField, payins::kProviderMessageBytesMax);
  if (!message.ok()) return Failure{message.error()};
  payout.reason = message.value().value_or("");
  auto network = object.OptionalString(kNetworkField, payins::kProviderIdBytesMax);
  if (!network.ok()) return Failure{network.error()};
  if (network.value() && !ParseNetwork(*network.value())) {
    return Failure{FieldError(object, kNetworkField, "is not a network Heleket pays out on")};
  }
  return payout;
}

// The whole payout: its fields, then amount and commission in `currency` (required or not).
Result<ProviderPayout, JsonFieldError> ReadPayout(const JsonObject& object,
                                                  bool currency_required) {
  auto payout = ReadPayoutFields(object);
  if (!payout.ok()) return Failure{payout.error()};
  auto currency = object.OptionalString(kCurrencyField, payins::kProviderIdBytesMax);
  if (!currency.ok()) return Failure{currency.error()};
  if (!currency.value()) {
    if (currency_required) return Failure{FieldError(object, kCurrencyField, "is missing")};
    // Without a currency the amounts cannot be read, only checked for shape.
    for (const std::string_view key : {kAmountField, kCommissionField}) {
      auto checked = OptionalRounded(object, key, Usdt(), Rounding::kDown);
      if (!checked.ok()) return Failure{checked.error()};
    }
    if (!object.Has(kAmountField)) return Failure{FieldError(object, kAmountField, "is missing")};
    return payout;
  }
  const auto asset = ServedAsset(*currency.value());
  if (!asset) {
    return Failure{FieldError(object, kCurrencyField, "is not a currency this adapter serves")};
  }
  auto amount = object.RequiredAmount(kAmountField, *asset, payins::AmountUnits::kMajor);
  if (!amount.ok()) return Failure{amount.error()};
  payout.value().amount = amount.value();
  auto commission = OptionalRounded(object, kCommissionField, *asset, Rounding::kUp);
  if (!commission.ok()) return Failure{commission.error()};
  payout.value().commission = commission.value();
  return payout;
}

}  // namespace

ProviderDescription HeleketPayouts::Description() {
  const auto route = [](const Asset& asset, std::vector<Network> networks, std::string_view min) {
    return PayoutRoute{std::string(asset.code()), DestinationKind::kCryptoAddress,
                       std::move(networks), Amount::Parse(min, asset).value(), std::nullopt};
  };
  return ProviderDescription{
      .name = std::string(kName),
      .display_name = "Heleket",
      .required_credentials = {std::string(kMerchantCredential), std::string(kApiKeyCredential)},
      .routes = {route(Usdt(), {Network::kTron, Network::kEth, Network::kPolygon, Network::kBsc},
                       "1"),
                 route(Trx(), {Network::kTron}, "1"), route(Eth(), {Network::kEth}, "0.001")},
      .signs_callbacks = true,
      .can_cancel = false,
  };
}

Result<std::unique_ptr<HeleketPayouts>, ProviderError> HeleketPayouts::Create(
    const Credentials& credentials, const ProviderContext& context) {
  const auto credential = [&](std::string_view name) -> std::string_view {
    const auto found = credentials.find(name);
    return found == credentials.end() ? std::string_view() : std::string_view(found->second);
  };
  const std::string_view merchant = credential(kMerchantCredential);
  const std::string_view api_key = credential(kApiKeyCredential);
  if (merchant.empty() || api_key.empty()) {
    return Failure{ProviderError{Kind::kInvalidRequest,
                                 "heleket needs the credentials merchant and payout_api_key"}};
  }
  if (!IsUuid(merchant)) {
    return Failure{ProviderError{Kind::kInvalidRequest, "heleket merchant must be a uuid"}};
  }
  if (context.http == nullptr || context.clock == nullptr || context.base_url.empty()) {
    return Failure{ProviderError{Kind::kInvalidRequest,
                                 "heleket needs an HTTP client, a clock and a base URL"}};
  }
  return std::unique_ptr<HeleketPayouts>(
      new HeleketPayouts(context, std::string(merchant), std::string(api_key)));
}

HeleketPayouts::HeleketPayouts(const ProviderContext& context, std::string merchant,
                               std::string api_key)
    : description_(Description()),
      merchant_(std::move(merchant)),
      api_key_(std::move(api_key)),
      http_(
          payins::GatewayContext{context.http, context.clock, context.base_url, context.timeout_ms},
          std::string(kName), {api_key_, merchant_}) {}

ProviderError HeleketPayouts::Error(Kind kind, std::string_view operation,
                                    std::string_view what) const {
  return ProviderError{kind,
                       std::string(kName) + " " + std::string(operation) + " " + std::string(what)};
}

ProviderError HeleketPayouts::BadResponse(std::string_view operation,
                                          const JsonFieldError& error) const {
  return FromGatewayError(http_.BadResponse(operation, error));
}

Result<JsonDocument, ProviderError> HeleketPayouts::Call(std::string_view path, std::string body,
                                                         std::string_view operation) const {
  net::ClientRequest request;
  request.method = "POST";
  request.url = http_.Url(path);
  request.headers.emplace_back(kMerchantHeader, merchant_);
  request.headers.emplace_back(kSignHeader, HeleketSign(body, api_key_));
  request.body = std::move(body);
  auto document = http_.Call(std::move(request), operation);
  if (!document.ok()) return Failure{FromGatewayError(document.error())};
  const JsonObject root = document.value().RootObject().value();
  auto state = root.OptionalInteger(kStateField);
  if (!state.ok()) return Failure{BadResponse(operation, state.error())};
  if (state.value().value_or(0) != 0) {
    auto message = root.OptionalString(kMessageField);
    return Failure{
        Error(Kind::kRejected, operation,
              "answered state " + std::to_string(*state.value()) +
                  (message.ok() && message.value() ? ": " + http_.Sanitize(*message.value(), 200)
                                                   : std::string()))};
  }
  return std::move(document).value();
}

std::optional<ProviderError> HeleketPayouts::CheckRequest(const PayoutRequest& request) const {
  const auto refuse = [&](const std::string& what) {
    return Error(Kind::kInvalidRequest, "payout", "refused: " + what);
  };
  const std::string_view reference = request.reference;
  if (reference.empty() || reference.size() > kReferenceCharsMax ||
      !std::all_of(reference.begin(), reference.end(), IsReferenceChar)) {
    return refuse("the reference must be 1 to 32 characters of [A-Za-z0-9_-]");
  }
  if (request.destination.kind != DestinationKind::kCryptoAddress) {
    return refuse("heleket pays out to crypto addresses only");
  }
  if (request.destination.address.empty()) return refuse("the address is empty");
  const Asset& asset = request.amount.asset();
  const auto route = std::find_if(
      description_.routes.begin(), description_.routes.end(),
      [&](const PayoutRoute& candidate) { return candidate.minimum.asset() == asset; });
  if (route == description_.routes.end()) {
    return refuse(std::string(asset.code()) + " (scale " + std::to_string(asset.scale()) +
                  ") is not an asset heleket pays out");
  }
  const Network network = request.destination.network;
  if (std::find(route->networks.begin(), route->networks.end(), network) == route->networks.end()) {
    return refuse(std::string(asset.code()) + " is not paid out on " +
                  std::string(NetworkName(network)));
  }
  if (request.amount < route->minimum) {
    return refuse("the amount " + request.amount.ToString() + " is below the minimum of " +
                  route->minimum.ToString());
  }
  if (route->maximum && request.amount > *route->maximum) {
    return refuse("the amount is above the maximum of " + route->maximum->ToString());
  }
  if (asset.scale() > kDecimalsMax) {
    i128 unit = 1;
    for (int i = kDecimalsMax; i < asset.scale(); ++i) unit *= 10;
    if (request.amount.minor() % unit != 0) {
      return refuse("heleket takes amounts with at most 8 decimals");
    }
  }
  return std::nullopt;
}

Result<ProviderPayout, ProviderError> HeleketPayouts::Create(const PayoutRequest& request) {
  if (auto refused = CheckRequest(request)) return Failure{*refused};
  const Network network = request.destination.network;
  std::string body = payins::JsonBodyWriter()
                         .String(kAmountField, request.amount.ToDecimalString())
                         .String(kCurrencyField, request.amount.asset().code())
                         .String(kOrderIdField, request.reference)
                         .String(kAddressField, request.destination.address)
                         .Bool(kIsSubtractField, false)
                         .String(kNetworkField, NetworkName(network))
                         .StringIfPresent(kUrlCallbackField, request.callback_url)
                         .String(kPriorityField, kPriority)
                         .Finish();
  auto document = Call(kPayoutPath, std::move(body), "payout");
  if (!document.ok()) return Failure{document.error()};
  auto result = document.value().RootObject().value().RequiredObject(kResultField);
  if (!result.ok()) return Failure{BadResponse("payout", result.error())};
  auto payout = ReadPayout(result.value(), true);
  if (!payout.ok()) return Failure{BadResponse("payout", payout.error())};
  if (!payout.value().reference.empty() && payout.value().reference != request.reference) {
    return Failure{
        BadResponse("payout", {std::string(kOrderIdField), "order_id is not the one sent"})};
  }
  payout.value().reference = request.reference;
  // Idempotent by order_id: an order_id used before answers with that payout, whatever was asked.
  auto network_echo = result.value().OptionalString(kNetworkField);
  const bool same_network =
      !network_echo.ok() || !network_echo.value() || ParseNetwork(*network_echo.value()) == network;
  auto address_echo = result.value().OptionalString(kAddressField);
  const bool same_address =
      !address_echo.ok() || !address_echo.value() ||
      EqualsIgnoringAsciiCase(*address_echo.value(), request.destination.address);
  if (payout.value().amount != request.amount || !same_network || !same_address) {
    return Failure{Error(Kind::kRejected, "payout",
                         "refused: the order_id already names a payout with another amount, "
                         "network or address")};
  }
  return std::move(payout).value();
}

Result<ProviderPayout, ProviderError> HeleketPayouts::Fetch(std::string_view reference) {
  if (reference.empty()) return Failure{Error(Kind::kInvalidRequest, "info", "needs an order_id")};
  std::string body = payins::JsonBodyWriter().String(kOrderIdField, reference).Finish();
  auto document = Call(kInfoPath, std::move(body), "info");
  if (!document.ok()) {
    ProviderError error = document.error();
    // Only here does 404 mean what kNotFound says: Heleket holds no payout with that order_id.
    if (error.kind == Kind::kRejected && error.http_status == 404) error.kind = Kind::kNotFound;
    return Failure{std::move(error)};
  }
  auto result = document.value().RootObject().value().RequiredObject(kResultField);
  if (!result.ok()) return Failure{BadResponse("info", result.error())};
  auto payout = ReadPayout(result.value(), true);
  if (!payout.ok()) return Failure{BadResponse("info", payout.error())};
  if (!payout.value().reference.empty() && payout.value().reference != reference) {
    return Failure{
        BadResponse("info", {std::string(kOrderIdField), "order_id is not the one asked for"})};
  }
  payout.value().reference = std::string(reference);
  return std::move(payout).value();
}

Result<ProviderPayout, ProviderError> HeleketPayouts::Cancel(std::string_view) {
  return Failure{Error(Kind::kInvalidRequest, "cancel", "is not possible: Heleket has no cancel")};
}

Result<ProviderPayout, CallbackRejection> HeleketPayouts::ParseCallback(
    const CallbackRequest& request) const {
  using R = CallbackRejection::Kind;
  auto document = JsonDocument::Parse(request.body);
  if (!document.ok()) {
    return Failure{
        CallbackRejection{R::kMalformed, document.error().field, document.error().message}};
  }
  auto root = document.value().RootObject();
  if (!root.ok()) {
    return Failure{CallbackRejection{R::kMalformed, root.error().field, root.error().message}};
  }
  const JsonNode* sign = root.value().node().Find(kHeleketSignField);
  if (sign == nullptr || !sign->IsString() || sign->text().empty()) {
    return Failure{
        CallbackRejection{R::kBadSignature, std::string(kHeleketSignField), "sign is missing"}};
  }
  if (!HeleketCallbackSignatureValid(request.body, root.value().node(), sign->text(), api_key_)) {
    return Failure{CallbackRejection{R::kBadSignature, std::string(kHeleketSignField),
                                     "sign does not match the callback"}};
  }
  auto type = root.value().RequiredString(kTypeField, payins::kProviderIdBytesMax);
  if (!type.ok()) {
    return Failure{CallbackRejection{R::kMalformed, type.error().field, type.error().message}};
  }
  if (!EqualsIgnoringAsciiCase(type.value(), kPayoutType)) {
    return Failure{CallbackRejection{R::kIgnored, std::string(kTypeField),
                                     "the callback is not about a payout"}};
  }
  auto payout = ReadPayout(root.value(), false);
  if (!payout.ok()) {
    return Failure{CallbackRejection{R::kMalformed, payout.error().field, payout.error().message}};
  }
  if (payout.value().reference.empty()) {
    return Failure{
        CallbackRejection{R::kMalformed, std::string(kOrderIdField), "order_id is missing"}};
  }
  return std::move(payout).value();
}

Result<std::vector<ProviderCapacity>, ProviderError> HeleketPayouts::ReadCapacity() {
  auto document = Call(kBalancePath, "", "balance");
  if (!document.ok()) return Failure{document.error()};
  const JsonNode* result = document.value().root().Find(kResultField);
  if (result == nullptr || !result->IsArray()) {
    return Failure{BadResponse("balance", {std::string(kResultField), "result must be an array"})};
  }
  std::vector<ProviderCapacity> capacities;
  for (size_t i = 0; i < result->size(); ++i) {
    const JsonNode& item = result->child(i);
    if (!item.IsObject()) {
      return Failure{BadResponse("balance", {"result", "result items must be objects"})};
    }
    const JsonObject entry(item, "result[" + std::to_string(i) + "]");
    auto balance = entry.RequiredObject(kBalanceField);
    if (!balance.ok()) return Failure{BadResponse("balance", balance.error())};
    const JsonNode* merchant = balance.value().node().Find(kMerchantField);
    if (merchant == nullptr || !merchant->IsArray()) {
      const std::string field = balance.value().FieldPath(kMerchantField);
      return Failure{BadResponse("balance", {field, field + " must be an array"})};
    }
    for (size_t j = 0; j < merchant->size(); ++j) {
      const std::string path =
          balance.value().FieldPath(kMerchantField) + "[" + std::to_string(j) + "]";
      if (!merchant->child(j).IsObject()) {
        return Failure{BadResponse("balance", {path, path + " must be an object"})};
      }
      const JsonObject wallet(merchant->child(j), path);
      auto code = wallet.RequiredString(kCurrencyCodeField, payins::kProviderIdBytesMax);
      if (!code.ok()) return Failure{BadResponse("balance", code.error())};
      const auto asset = ServedAsset(code.value());
      if (!asset) continue;  // a currency we do not pay out in
      auto available = OptionalRounded(wallet, kBalanceField, *asset, Rounding::kDown);
      if (!available.ok()) return Failure{BadResponse("balance", available.error())};
      if (!available.value()) {
        return Failure{BadResponse("balance", FieldError(wallet, kBalanceField, "is missing"))};
      }
      capacities.push_back(ProviderCapacity{std::string(asset->code()), *available.value(),
                                            std::nullopt, std::nullopt});
    }
  }
  return capacities;
}

Result<PayoutPage, ProviderError> HeleketPayouts::List(int64_t since_ms, std::string_view cursor) {
  std::string path(kListPath);
  if (!cursor.empty()) path += "?cursor=" + payins::PercentEncode(cursor);
  std::string body =
      payins::JsonBodyWriter().String(kDateFromField, HeleketDate(since_ms)).Finish();
  auto document = Call(path, std::move(body), "list");
  if (!document.ok()) return Failure{document.error()};
  auto result = document.value().RootObject().value().RequiredObject(kResultField);
  if (!result.ok()) return Failure{BadResponse("list", result.error())};
  const JsonNode* items = result.value().node().Find(kItemsField);
  if (items == nullptr || !items->IsArray()) {
    const std::string field = result.value().FieldPath(kItemsField);
    return Failure{BadResponse("list", {field, field + " must be an array"})};
  }
  PayoutPage page;
  for (size_t i = 0; i < items->size(); ++i) {
    const std::string path_of_item =
        result.value().FieldPath(kItemsField) + "[" + std::to_string(i) + "]";
    if (!items->child(i).IsObject()) {
      return Failure{BadResponse("list", {path_of_item, path_of_item + " must be an object"})};
    }
    auto payout = ReadPayout(JsonObject(items->child(i), path_of_item), true);
    if (!payout.ok()) return Failure{BadResponse("list", payout.error())};
    page.payouts.push_back(std::move(payout).value());
  }
  auto paginate = result.value().OptionalObject(kPaginateField);
  if (!paginate.ok()) return Failure{BadResponse("list", paginate.error())};
  if (paginate.value()) {
    auto next = paginate.value()->OptionalString(kNextCursorField, payins::kProviderIdBytesMax);
    if (!next.ok()) return Failure{BadResponse("list", next.error())};
    page.next_cursor = next.value().value_or("");
  }
  return page;
}

}  // namespace cambista::payouts
