// What every payins adapter does the same way: talk HTTP through net::HttpClient with the
// context's deadline, turn transport failures and HTTP statuses into GatewayError kinds, write JSON
// request bodies with exact money, map status words, and check a charge request against the
// gateway's currency and limits before any call. Adapters only include this file; the charges
// service uses the port (gateway.hpp).
//
// HTTP results become error kinds in one table (HttpErrorFor):
//   transport failure, timeout, 5xx -> kUnavailable (the caller may fall back to another gateway)
//   401, 403                        -> kAuth
//   429                             -> kRateLimited (retry_after_ms from Retry-After seconds)
//   other 4xx                       -> kRejected
//   1xx, 3xx (redirects are not followed: a wrong base URL) -> kBadResponse
// Messages name the gateway, the operation and the HTTP status, plus the provider's own
// `message`/`error`/`detail` text when it sends one (at most kProviderMessageBytesMax bytes, every
// credential value replaced by "[redacted]"): never a URL (its query may hold a token), a header or
// a request body.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/amount.hpp"
#include "core/result.hpp"
#include "net/http_client.hpp"
#include "payins/gateway.hpp"
#include "payins/provider_json.hpp"

namespace cambista::payins {

inline constexpr size_t kProviderMessageBytesMax = 200;

// The gateways' currencies: BRL (scale 2) for the PIX gateways, VES (scale 2) for BuhoPago.
const Asset& BrlAsset();
const Asset& VesAsset();

// The "Authorization: Bearer <token>" header.
std::pair<std::string, std::string> BearerHeader(std::string_view token);

class GatewayHttp {
 public:
  // `secrets`: the credential values to keep out of every message.
  GatewayHttp(GatewayContext context, std::string gateway_name, std::vector<std::string> secrets);

  const GatewayContext& context() const { return context_; }
  const std::string& gateway_name() const { return gateway_name_; }

  // base_url (without a trailing '/') + path_and_query (which starts with '/').
  std::string Url(std::string_view path_and_query) const;

  // Sends with the context's timeout, `Accept: application/json` and, with a body,
  // `Content-Type: application/json`. Any HTTP status is a response; only transport failures are
  // errors (kUnavailable).
  Result<net::ClientResponse, GatewayError> Send(net::ClientRequest request,
                                                 std::string_view operation) const;
  // nullopt for 2xx; otherwise the error the table above gives.
  std::optional<GatewayError> HttpErrorFor(const net::ClientResponse& response,
                                           std::string_view operation) const;
  // Send, then HttpErrorFor, then the body parsed as a JSON object (kBadResponse naming the field
  // when it is not).
  Result<JsonDocument, GatewayError> Call(net::ClientRequest request,
                                          std::string_view operation) const;
  // A response body that is not JSON, or a field that is missing or malformed: kBadResponse.
  GatewayError BadResponse(std::string_view operation, const JsonFieldError& error) const;
  GatewayError Error(GatewayError::Kind kind, std::string_view operation,
                     std::string_view what) const;

  // Text from the provider with every secret replaced, control characters turned into spaces,
  // cut to `bytes_max` at a UTF-8 boundary.
  std::string Sanitize(std::string_view text, size_t bytes_max) const;

 private:
  GatewayContext context_;
  std::string gateway_name_;
  std::vector<std::string> secrets_;
};

// Refuses, before any call, a request the gateway would refuse: another currency (or scale), an
// amount that is not positive, below the minimum or above the maximum. kInvalidRequest.
std::optional<GatewayError> CheckChargeRequest(const CreateChargeRequest& request,
                                               const GatewayDescription& description);

// The amount as a JSON number's text in the gateway's units: "10.5" (major, no trailing zeros),
// "1050" (minor).
std::string MoneyJson(const Amount& amount, AmountUnits units);

// Writes one JSON object; string values are escaped (invalid UTF-8 becomes U+FFFD), raw values are
// written as given (numbers from MoneyJson, or a nested object from another writer).
class JsonBodyWriter {
 public:
  JsonBodyWriter& String(std::string_view key, std::string_view value);
  // Only when `value` is not empty.
  JsonBodyWriter& StringIfPresent(std::string_view key, std::string_view value);
  JsonBodyWriter& Raw(std::string_view key, std::string_view json);
  JsonBodyWriter& Integer(std::string_view key, int64_t value);
  JsonBodyWriter& Bool(std::string_view key, bool value);
  std::string Finish() const;  // "{...}"
  bool empty() const { return body_.empty(); }

 private:
  void Key(std::string_view key);
  std::string body_;
};

// A gateway's status word and what it means; matched without regard to ASCII case.
struct StatusWord {
  std::string_view word;
  GatewayStatus status;
};
std::optional<GatewayStatus> MapStatusWord(std::span<const StatusWord> table, std::string_view raw);
// The required string `field` of `object`, mapped through `table`: the status and the gateway's
// own word, or an error naming the field ("... is not a status <gateway> documents").
struct StatusRead {
  GatewayStatus status;
  std::string raw;
};
Result<StatusRead, JsonFieldError> ReadStatusWord(const JsonObject& object, std::string_view field,
                                                  std::span<const StatusWord> table,
                                                  std::string_view gateway);
std::string ToLowerAscii(std::string_view text);

// WebhookEvent::event_id for gateways that send no event id: "<transaction id>:<status>", with the
// normalized status in lower case ("paid"), so the same fact delivered twice, or in two shapes or
// letter cases, has one key.
std::string StatusEventId(std::string_view transaction_id, GatewayStatus status);

// RFC 3986 percent-encoding of everything but unreserved characters: for path segments and query
// values built from ids.
std::string PercentEncode(std::string_view text);

// "2", "2.5", "12.25" (percent, at most two decimals, 0 < p <= 100) -> basis points (200, 250,
// 1225). The error says what is wrong, never the value.
Result<int64_t, std::string> ParsePercentBps(std::string_view text);

// Basis points as a JSON number of percent: 250 -> "2.5", 200 -> "2".
std::string PercentJson(int64_t bps);

// At most `bytes_max` bytes of `text`, cut at a UTF-8 character boundary.
std::string_view TruncateUtf8(std::string_view text, size_t bytes_max);

// The webhook's body parsed as a JSON object, or kMalformed naming the field.
Result<JsonDocument, WebhookRejection> ParseWebhookJson(std::string_view body);
WebhookRejection Malformed(const JsonFieldError& error);

}  // namespace cambista::payins
