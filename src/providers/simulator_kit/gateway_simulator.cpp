#include "providers/simulator_kit/gateway_simulator.hpp"

#include <cctype>
#include <exception>

#include "core/assert.hpp"
#include "core/int128.hpp"
#include "http/json_input.hpp"
#include "http/json_schema.hpp"
#include "http/problem.hpp"
#include "obs/json_log.hpp"
#include "pix/br_code.hpp"
#include "pix/qr.hpp"
#include "security/hmac.hpp"

namespace cambista::sandbox {
namespace {

constexpr std::string_view kLocationHost = "sandbox.cambista.dev";
constexpr std::string_view kMerchantName = "CAMBISTA SANDBOX";
constexpr std::string_view kMerchantCity = "SAO PAULO";
constexpr size_t kTxidCharsMax = 25;
// The ISPB written into simulated end-to-end ids: obviously not a real participant.
constexpr std::string_view kSandboxIspb = "99999999";
constexpr int kIdAttemptsMax = 8;

Asset MakeAsset(std::string_view code) {
  auto asset = Asset::Make(code, 2);
  CAMBISTA_CHECK(asset.ok());
  return asset.value();
}

std::string_view KindName(JsonNode::Kind kind) {
  switch (kind) {
    case JsonNode::Kind::kNull:
      return "null";
    case JsonNode::Kind::kBool:
      return "true or false";
    case JsonNode::Kind::kNumber:
      return "a number";
    case JsonNode::Kind::kString:
      return "a string";
    case JsonNode::Kind::kArray:
      return "an array";
    case JsonNode::Kind::kObject:
      return "an object";
  }
  return "a value";
}

}  // namespace

const Asset& Brl() {
  static const Asset brl = MakeAsset("BRL");
  return brl;
}

const Asset& Ves() {
  static const Asset ves = MakeAsset("VES");
  return ves;
}

std::string MoneyJson(const Amount& amount, MoneyUnits units) {
  return units == MoneyUnits::kMajor ? amount.ToDecimalString() : ToDecimal(amount.minor());
}

Result<Amount, std::string> ReadMoney(const JsonNode* node, std::string_view field,
                                      MoneyUnits units, const Asset& asset) {
  const std::string name(field);
  const std::string expected =
      units == MoneyUnits::kMajor
          ? name + " must be a JSON number in " + std::string(asset.code()) + " with at most " +
                std::to_string(asset.scale()) + " decimals (e.g. 10.5)"
          : name + " must be a JSON integer in minor units (centavos, e.g. 1050)";
  if (node == nullptr || node->IsNull()) return Failure{name + " is required"};
  if (!node->IsNumber()) return Failure{expected};
  if (units == MoneyUnits::kMajor) {
    // The number's own text, exactly: "10.5" is 1050 centavos; "1e1" and "10.505" are refused.
    auto amount = Amount::Parse(node->text(), asset);
    if (!amount.ok()) return Failure{expected};
    return amount.value();
  }
  const auto minor = ParseI128Decimal(node->text());
  if (!minor) return Failure{expected};
  return Amount(*minor, asset);
}

const Amount& ReportedAmount(const SimulatedCharge& charge, ChargeState state) {
  const bool settled = state == ChargeState::kPaid || state == ChargeState::kRefunded;
  return settled && charge.paid_amount ? *charge.paid_amount : charge.amount;
}

size_t CharCount(std::string_view text) {
  return http::Utf8CodePoints(text).value_or(text.size());
}

std::optional<std::string> StringMember(const JsonNode& object, std::string_view key) {
  const JsonNode* value = object.Find(key);
  if (value == nullptr || !value->IsString()) return std::nullopt;
  return std::string(value->text());
}

std::optional<std::string> CheckKind(const JsonNode& object, std::string_view key,
                                     JsonNode::Kind kind) {
  const JsonNode* value = object.Find(key);
  if (value == nullptr || value->IsNull() || value->kind() == kind) return std::nullopt;
  return std::string(key) + " must be " + std::string(KindName(kind));
}

std::string_view BearerToken(const http::HttpRequest& request) {
  std::string_view header = request.Header("Authorization");
  constexpr std::string_view kScheme = "Bearer ";
  if (header.size() <= kScheme.size()) return {};
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) !=
        std::tolower(static_cast<unsigned char>(kScheme[i]))) {
      return {};
    }
  }
  return header.substr(kScheme.size());
}

bool SecretMatches(std::string_view presented, std::string_view expected) {
  return !presented.empty() && ConstantTimeEquals(presented, expected);
}

std::string NewUuid() {
  std::string bytes = RandomBytes(16);
  bytes[6] = static_cast<char>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<char>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  const std::string hex = HexEncode(bytes);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

std::string NewHexId(std::string_view prefix, size_t hex_chars) {
  return std::string(prefix) + HexEncode(RandomBytes((hex_chars + 1) / 2)).substr(0, hex_chars);
}

std::string NewEndToEndId(int64_t now_ms) {
  const std::string stamp = Rfc3339(now_ms);  // 2024-05-01T12:34:56.789Z
  std::string id = "E" + std::string(kSandboxIspb);
  for (char c : stamp.substr(0, 16)) {  // yyyy-MM-ddTHH:mm -> yyyyMMddHHmm
    if (std::isdigit(static_cast<unsigned char>(c))) id += c;
  }
  constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  for (unsigned char byte : RandomBytes(11)) id += kAlphabet[byte % kAlphabet.size()];
  return id;
}

std::string NewDigits(size_t count) {
  std::string digits;
  for (unsigned char byte : RandomBytes(count)) digits += static_cast<char>('0' + byte % 10);
  if (!digits.empty() && digits[0] == '0') digits[0] = '1';
  return digits;
}

std::string Rfc3339(int64_t unix_ms) {
  std::string text;
  obs::AppendRfc3339Millis(text, unix_ms * 1'000'000);
  return text;
}

Result<std::string, std::string> SandboxPixCode(std::string_view gateway, std::string_view id,
                                                const Amount& amount) {
  pix::BrCode code;
  code.location_url =
      std::string(kLocationHost) + "/" + std::string(gateway) + "/" + std::string(id);
  code.single_use = true;
  code.amount = amount;
  code.merchant_name = kMerchantName;
  code.merchant_city = kMerchantCity;
  code.txid.clear();
  for (char c : id) {
    if (std::isalnum(static_cast<unsigned char>(c)) && code.txid.size() < kTxidCharsMax) {
      code.txid += c;
    }
  }
  if (code.txid.empty()) code.txid = "***";
  auto text = pix::EncodeBrCode(code);
  if (!text.ok()) {
    return Failure{"BR Code field " + text.error().field + ": " + text.error().message};
  }
  return std::move(text).value();
}

Result<std::string, std::string> QrPngBase64(std::string_view text) {
  try {
    return Base64Encode(pix::QrPng(text));
  } catch (const std::exception& error) {
    return Failure{std::string("QR code: ") + error.what()};
  }
}

http::HttpResponse JsonResponse(int status, std::string body) {
  http::HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

http::HttpResponse MessageResponse(int status, std::string_view message) {
  return JsonResponse(status, "{\"message\":" + http::JsonString(message) + "}");
}

http::HttpResponse ValidationResponse(std::string_view field, std::string_view message) {
  return JsonResponse(422, "{\"message\":" + http::JsonString(message) + ",\"errors\":{" +
                               http::JsonString(field) + ":[" + http::JsonString(message) + "]}}");
}

void AddLaravelSchemas(http::Router& router) {
  using namespace http::schema;
  router.AddSchema("GatewayMessage", Object({{"message", String()}}));
  router.AddSchema("GatewayValidationError",
                   Object({{"message", String()},
                           {"errors", Described(MapOf(ArrayOf(String())), "field -> messages")}}));
}

std::vector<http::ResponseDoc> LaravelErrors(std::initializer_list<int> message_statuses,
                                             bool validates) {
  std::vector<http::ResponseDoc> responses;
  for (int status : message_statuses) {
    responses.push_back(GatewayError(status, "The gateway's error: {message}.",
                                     http::schema::Ref("GatewayMessage")));
  }
  if (validates) {
    responses.push_back(GatewayError(422, "A validation failure, naming the field.",
                                     http::schema::Ref("GatewayValidationError")));
  }
  return responses;
}

http::ResponseDoc GatewayError(int status, std::string_view description, std::string_view schema) {
  return http::ResponseDoc{status, std::string(description), std::string(schema)};
}

Result<payins::JsonDocument, std::string> ParseObjectBody(std::string_view body) {
  auto document = payins::JsonDocument::Parse(body);
  if (!document.ok()) return Failure{"The body is not valid JSON: " + document.error().message};
  if (!document.value().root().IsObject()) {
    return Failure{std::string("The body must be a JSON object.")};
  }
  return std::move(document).value();
}

std::string JsonStringOrNull(std::string_view text) {
  return text.empty() ? std::string("null") : http::JsonString(text);
}

Result<SimulatedCharge, std::string> CreateCharge(SimulatorContext& context,
                                                  std::string_view gateway, NewCharge fields,
                                                  const std::function<ChargeIds()>& new_ids) {
  for (int attempt = 0; attempt < kIdAttemptsMax; ++attempt) {
    ChargeIds ids = new_ids();
    SimulatedCharge charge(gateway, std::move(ids.id), std::move(ids.hash), fields.amount);
    charge.reference = fields.reference;
    charge.description = fields.description;
    charge.webhook_url = fields.webhook_url;
    charge.tenant_hint = fields.tenant_hint;
    charge.payment_url = fields.payment_url;
    if (const size_t at = charge.payment_url.find("{id}"); at != std::string::npos) {
      charge.payment_url.replace(at, 4, charge.id);
    }
    if (fields.pix) {
      // Where a gateway has a hash, it is the transaction's public name (ÁtomoPay's URLs use it).
      auto code =
          SandboxPixCode(gateway, charge.hash.empty() ? charge.id : charge.hash, charge.amount);
      if (!code.ok()) return Failure{code.error()};
      charge.pix_code = std::move(code).value();
    }
    charge.created_at_ms = context.clock.NowMs();
    charge.updated_at_ms = charge.created_at_ms;
    charge.expires_at_ms = charge.created_at_ms + fields.lifetime_ms;
    if (context.charges.Add(charge)) return charge;
  }
  return Failure{std::string("no free charge id was drawn")};
}

}  // namespace cambista::sandbox
