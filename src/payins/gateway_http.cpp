#include "payins/gateway_http.hpp"

#include <algorithm>
#include <utility>

#include "core/int128.hpp"
#include "obs/json_string.hpp"

namespace cambista::payins {
namespace {

using Kind = GatewayError::Kind;

constexpr std::string_view kRedacted = "[redacted]";
// Provider error fields tried in order for a human-readable reason.
constexpr std::string_view kProviderMessageFields[] = {"message", "error", "detail"};
constexpr int64_t kRetryAfterSecondsMax = 3600;

// Retry-After in delta-seconds (the HTTP-date form is ignored: 0 means unknown).
int64_t RetryAfterMs(const net::ClientResponse& response) {
  const std::string_view value = response.Header("Retry-After");
  if (value.empty() || value.size() > 6 ||
      !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return 0;
  }
  return std::min<int64_t>(std::stoll(std::string(value)), kRetryAfterSecondsMax) * 1000;
}

}  // namespace

const Asset& BrlAsset() {
  static const Asset asset = Asset::Make("BRL", 2).value();
  return asset;
}

const Asset& VesAsset() {
  static const Asset asset = Asset::Make("VES", 2).value();
  return asset;
}

std::pair<std::string, std::string> BearerHeader(std::string_view token) {
  return {"Authorization", "Bearer " + std::string(token)};
}

GatewayHttp::GatewayHttp(GatewayContext context, std::string gateway_name,
                         std::vector<std::string> secrets)
    : context_(std::move(context)), gateway_name_(std::move(gateway_name)) {
  // Longest first, so a secret that contains another is redacted whole.
  for (auto& secret : secrets) {
    if (!secret.empty()) secrets_.push_back(std::move(secret));
  }
  std::sort(secrets_.begin(), secrets_.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  CAMBISTA_CHECK(context_.http != nullptr);
  CAMBISTA_CHECK(context_.clock != nullptr);
}

std::string GatewayHttp::Url(std::string_view path_and_query) const {
  std::string_view base = context_.base_url;
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  return std::string(base) + std::string(path_and_query);
}

Result<net::ClientResponse, GatewayError> GatewayHttp::Send(net::ClientRequest request,
                                                            std::string_view operation) const {
  request.timeout_ms = context_.timeout_ms;
  request.headers.emplace_back("Accept", "application/json");
  if (!request.body.empty()) request.headers.emplace_back("Content-Type", "application/json");
  auto response = context_.http->Send(request);
  if (!response.ok()) {
    return Failure{Error(Kind::kUnavailable, operation, Sanitize(response.error().message, 300))};
  }
  return std::move(response).value();
}

std::optional<GatewayError> GatewayHttp::HttpErrorFor(const net::ClientResponse& response,
                                                      std::string_view operation) const {
  const int status = response.status;
  if (status >= 200 && status < 300) return std::nullopt;
  Kind kind = Kind::kRejected;
  if (status == 401 || status == 403) {
    kind = Kind::kAuth;
  } else if (status == 429) {
    kind = Kind::kRateLimited;
  } else if (status >= 500) {
    kind = Kind::kUnavailable;
  } else if (status < 400) {
    kind = Kind::kBadResponse;
  }
  std::string what = "answered HTTP " + std::to_string(status);
  if (auto document = JsonDocument::Parse(response.body); document.ok()) {
    for (const std::string_view field : kProviderMessageFields) {
      const JsonNode* node = document.value().root().Find(field);
      if (node && node->kind() == JsonNode::Kind::kString && !node->text().empty()) {
        what += ": " + Sanitize(node->text(), kProviderMessageBytesMax);
        break;
      }
    }
  }
  GatewayError error = Error(kind, operation, what);
  error.http_status = status;
  if (kind == Kind::kRateLimited || kind == Kind::kUnavailable) {
    error.retry_after_ms = RetryAfterMs(response);
  }
  return error;
}

Result<JsonDocument, GatewayError> GatewayHttp::Call(net::ClientRequest request,
                                                     std::string_view operation) const {
  auto response = Send(std::move(request), operation);
  if (!response.ok()) return Failure{response.error()};
  if (auto error = HttpErrorFor(response.value(), operation)) return Failure{*error};
  auto document = JsonDocument::Parse(response.value().body);
  if (!document.ok()) {
    GatewayError error = BadResponse(operation, document.error());
    error.http_status = response.value().status;
    return Failure{error};
  }
  if (auto root = document.value().RootObject(); !root.ok()) {
    return Failure{BadResponse(operation, root.error())};
  }
  return std::move(document).value();
}

GatewayError GatewayHttp::BadResponse(std::string_view operation,
                                      const JsonFieldError& error) const {
  return Error(Kind::kBadResponse, operation,
               "answered with an unusable body: " + Sanitize(error.message, 300));
}

GatewayError GatewayHttp::Error(GatewayError::Kind kind, std::string_view operation,
                                std::string_view what) const {
  return GatewayError{kind, gateway_name_ + " " + std::string(operation) + " " + std::string(what)};
}

std::string GatewayHttp::Sanitize(std::string_view text, size_t bytes_max) const {
  std::string out(text);
  for (const auto& secret : secrets_) {
    for (size_t at = out.find(secret); at != std::string::npos;
         at = out.find(secret, at + kRedacted.size())) {
      out.replace(at, secret.size(), kRedacted);
    }
  }
  std::replace_if(
      out.begin(), out.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; }, ' ');
  out.resize(TruncateUtf8(out, bytes_max).size());
  return out;
}

std::optional<GatewayError> CheckChargeRequest(const CreateChargeRequest& request,
                                               const GatewayDescription& description) {
  const auto refuse = [&](std::string what) {
    return GatewayError{Kind::kInvalidRequest, description.name + " charge refused: " + what};
  };
  const Asset& asset = request.amount.asset();
  if (asset != description.minimum.asset()) {
    return refuse("the amount is in " + std::string(asset.code()) + " (scale " +
                  std::to_string(asset.scale()) + "); " + description.name + " takes " +
                  description.currency);
  }
  if (!request.amount.IsPositive()) return refuse("the amount must be positive");
  if (request.amount < description.minimum) {
    return refuse("the amount " + request.amount.ToString() + " is below the minimum of " +
                  description.minimum.ToString() + " " + description.currency);
  }
  if (description.maximum && request.amount > *description.maximum) {
    return refuse("the amount " + request.amount.ToString() + " is above the maximum of " +
                  description.maximum->ToString() + " " + description.currency);
  }
  return std::nullopt;
}

std::string MoneyJson(const Amount& amount, AmountUnits units) {
  return units == AmountUnits::kMajor ? amount.ToDecimalString() : ToDecimal(amount.minor());
}

void JsonBodyWriter::Key(std::string_view key) {
  body_ += body_.empty() ? "" : ",";
  obs::AppendJsonString(body_, key);
  body_ += ':';
}

JsonBodyWriter& JsonBodyWriter::String(std::string_view key, std::string_view value) {
  Key(key);
  obs::AppendJsonString(body_, value);
  return *this;
}

JsonBodyWriter& JsonBodyWriter::StringIfPresent(std::string_view key, std::string_view value) {
  if (!value.empty()) String(key, value);
  return *this;
}

JsonBodyWriter& JsonBodyWriter::Raw(std::string_view key, std::string_view json) {
  Key(key);
  body_ += json;
  return *this;
}

JsonBodyWriter& JsonBodyWriter::Integer(std::string_view key, int64_t value) {
  return Raw(key, std::to_string(value));
}

JsonBodyWriter& JsonBodyWriter::Bool(std::string_view key, bool value) {
  return Raw(key, value ? "true" : "false");
}

std::string JsonBodyWriter::Finish() const {
  return "{" + body_ + "}";
}

std::string ToLowerAscii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string StatusEventId(std::string_view transaction_id, GatewayStatus status) {
  return std::string(transaction_id) + ":" + ToLowerAscii(GatewayStatusName(status));
}

Result<StatusRead, JsonFieldError> ReadStatusWord(const JsonObject& object, std::string_view field,
                                                  std::span<const StatusWord> table,
                                                  std::string_view gateway) {
  auto raw = object.RequiredString(field);
  if (!raw.ok()) return Failure{raw.error()};
  const auto status = MapStatusWord(table, raw.value());
  if (!status) {
    const std::string path = object.FieldPath(field);
    return Failure{
        JsonFieldError{path, path + " is not a status " + std::string(gateway) + " documents"}};
  }
  return StatusRead{*status, std::move(raw).value()};
}

std::optional<GatewayStatus> MapStatusWord(std::span<const StatusWord> table,
                                           std::string_view raw) {
  const std::string lower = ToLowerAscii(raw);
  for (const auto& entry : table) {
    if (entry.word == lower) return entry.status;
  }
  return std::nullopt;
}

std::string PercentEncode(std::string_view text) {
  constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0x0F];
    }
  }
  return out;
}

Result<int64_t, std::string> ParsePercentBps(std::string_view text) {
  const size_t point = text.find('.');
  const std::string_view whole = text.substr(0, point);
  const std::string_view fraction =
      point == std::string_view::npos ? std::string_view() : text.substr(point + 1);
  const auto digits = [](std::string_view part, size_t length_max) {
    return !part.empty() && part.size() <= length_max &&
           std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (!digits(whole, 3) || (point != std::string_view::npos && !digits(fraction, 2))) {
    return Failure{std::string("must be a percentage such as 2 or 2.5 (at most two decimals)")};
  }
  int64_t bps = std::stoll(std::string(whole)) * 100;
  if (!fraction.empty()) {
    bps += std::stoll(std::string(fraction)) * (fraction.size() == 1 ? 10 : 1);
  }
  if (bps <= 0 || bps > 10'000) {
    return Failure{std::string("must be above 0 and at most 100 percent")};
  }
  return bps;
}

std::string PercentJson(int64_t bps) {
  std::string text = std::to_string(bps / 100);
  const int64_t hundredths = bps % 100;
  if (hundredths != 0) {
    text += '.';
    text += static_cast<char>('0' + hundredths / 10);
    if (hundredths % 10 != 0) text += static_cast<char>('0' + hundredths % 10);
  }
  return text;
}

std::string_view TruncateUtf8(std::string_view text, size_t bytes_max) {
  if (text.size() <= bytes_max) return text;
  size_t end = bytes_max;
  // Back off continuation bytes (10xxxxxx) so the cut falls before a character's first byte.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

WebhookRejection Malformed(const JsonFieldError& error) {
  return WebhookRejection{WebhookRejection::Kind::kMalformed, error.field, error.message};
}

Result<JsonDocument, WebhookRejection> ParseWebhookJson(std::string_view body) {
  auto document = JsonDocument::Parse(body);
  if (!document.ok()) return Failure{Malformed(document.error())};
  if (auto root = document.value().RootObject(); !root.ok()) {
    return Failure{Malformed(root.error())};
  }
  return std::move(document).value();
}

}  // namespace cambista::payins
