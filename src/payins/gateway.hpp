// The PayinGateway port: what Cambista needs of a PIX (or VES) collection gateway. One adapter per
// gateway under providers/<name>/, built by name from the tenant's credentials (registry.hpp).
//
// Adapters convert units exactly (reais or centavos, from the JSON number's own text, never through
// a double; see provider_json.hpp), map the gateway's statuses onto GatewayStatus
// (case-insensitive; a status the adapter does not know is refused, never guessed), refuse amounts
// below the gateway's minimum before calling it, and validate webhook payloads field by field: a
// webhook becomes a normalized WebhookEvent or a precise WebhookRejection naming the field. Error
// messages never carry credentials (nor URLs, whose query may hold one).
//
// An adapter instance holds per-account state: SyncPay's cached token, PushinPay's once-a-minute
// status limit per transaction, BuhoPago's request budget. Keep one instance per (tenant, gateway,
// credentials) for as long as the credentials are unchanged instead of building one per request.
// Instances are thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/amount.hpp"
#include "core/result.hpp"

namespace cambista {
class Clock;
}
namespace cambista::net {
class HttpClient;
}

namespace cambista::payins {

// A gateway's view of a charge. Forward order: PENDING, then one of PAID / EXPIRED / FAILED, then
// REFUNDED (from PAID only).
enum class GatewayStatus : uint8_t { kPending, kPaid, kExpired, kFailed, kRefunded };
std::string_view GatewayStatusName(GatewayStatus status);  // "PENDING", "PAID", ...

struct Customer {
  std::string name;
  std::string document;  // CPF / CNPJ digits, or a Venezuelan cédula/RIF
  std::string email;
  std::string phone;
};

struct CreateChargeRequest {
  Amount amount;  // in the gateway's currency
  std::string description;
  std::string reference;  // our charge id: sent as the external reference wherever the API has one
  Customer customer;
  int64_t expires_in_seconds = 3600;
  std::string webhook_url;  // where the gateway posts: <public base>/webhooks/<gateway>/<tenant>
};

struct CreatedCharge {
  std::string gateway_charge_id;     // the gateway's transaction id (what its webhooks name)
  std::string provider_hash;         // a second id some gateways use (ÁtomoPay/Paradise hash)
  std::string pix_code;              // BR Code ("copia e cola"); empty for VES
  std::string payment_instructions;  // VES: a payment link or bank details; empty for PIX
  std::string tenant_hint;           // ÁtomoPay producer.hash: later webhooks carry it too
  std::optional<int64_t> expires_at_ms;
  GatewayStatus status = GatewayStatus::kPending;
};

struct GatewayError {
  enum class Kind {
    kInvalidRequest,  // refused before calling (below the minimum, wrong currency, bad field)
    kAuth,            // credentials refused (401/403, token exchange failed)
    kRejected,        // the gateway answered 4xx for this request
    kRateLimited,     // 429, or our own per-transaction limit (PushinPay status once a minute)
    kUnavailable,     // transport failure, timeout or 5xx: another gateway may be tried
    kBadResponse,     // a 2xx we cannot understand (missing or malformed field), or a redirect
  };
  Kind kind;
  std::string message;         // for logs and the API; never contains credentials
  int http_status = 0;         // the gateway's HTTP status when it answered; 0 otherwise
  int64_t retry_after_ms = 0;  // kRateLimited: when a retry may succeed (0: unknown)
};
std::string_view GatewayErrorKindName(GatewayError::Kind kind);  // "unavailable", ...

// One incoming webhook delivery, as received on POST /webhooks/<gateway>[/<tenant>].
struct WebhookRequest {
  std::string_view body;  // the raw bytes: signatures are checked on these
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view Header(std::string_view name) const;  // case-insensitive; empty when absent
};

struct WebhookEvent {
  // Deduplication key: the provider's event id, or its transaction id and status when it sends
  // no event id. Two deliveries of the same fact have the same key.
  std::string event_id;
  std::string gateway_charge_id;  // the provider's transaction id; may be empty
  std::string provider_hash;      // a second provider id (hash); may be empty
  std::string reference;          // our reference when the gateway echoes it; may be empty
  std::string tenant_hint;        // ÁtomoPay producer.hash: identifies the tenant; may be empty
  GatewayStatus status = GatewayStatus::kPending;
  std::optional<Amount> amount;  // the amount the event reports (paid amount), exact
  std::string payer_name;
  std::string payer_document;
  std::string end_to_end_id;
  std::string raw_status;     // the gateway's own word, kept for the record
  std::optional<Amount> fee;  // what the gateway kept of it, where the gateway says
};

struct WebhookRejection {
  enum class Kind {
    kBadSignature,  // a signing gateway's signature is missing or wrong: 401
    kMalformed,     // not JSON, or a required field is missing or of the wrong type: 400
    kIgnored,       // well-formed but not about a charge (another event kind): 200, nothing done
  };
  Kind kind;
  std::string field;  // the offending field ("data.amount"), when there is one
  std::string message;
};

struct StatusReport {
  GatewayStatus status = GatewayStatus::kPending;
  std::optional<Amount> amount;  // paid amount when the gateway reports one
  std::string raw_status;
  std::optional<Amount> fee;  // what the gateway kept of it, where the gateway says
};

enum class AmountUnits : uint8_t { kMajor, kMinor };  // reais (10.5) or centavos (1050)

struct GatewayDescription {
  std::string name;  // "syncpay"
  std::string display_name;
  std::vector<std::string> required_credentials;
  std::vector<std::string> optional_credentials;
  std::string currency;  // "BRL" | "VES"
  AmountUnits units = AmountUnits::kMajor;
  Amount minimum;
  std::optional<Amount> maximum;
  bool signs_webhooks = false;   // false: a webhook is a hint, re-fetch where possible
  bool can_fetch_status = true;  // FetchStatus is supported
};

// Credentials by name (already decrypted); never logged.
using Credentials = std::map<std::string, std::string, std::less<>>;

// What an adapter needs from its surroundings.
struct GatewayContext {
  const net::HttpClient* http = nullptr;
  const Clock* clock = nullptr;
  std::string base_url;  // e.g. https://api.syncpay.pro, or http://127.0.0.1:8080/sandbox/syncpay
  int64_t timeout_ms = 10'000;
};

class PayinGateway {
 public:
  virtual ~PayinGateway() = default;
  virtual const GatewayDescription& Describe() const = 0;
  // Checks amount, currency and the minimum first (kInvalidRequest without a call).
  virtual Result<CreatedCharge, GatewayError> CreateCharge(const CreateChargeRequest& request) = 0;
  // Pure: no I/O. Verifies the signature where the gateway signs.
  virtual Result<WebhookEvent, WebhookRejection> ParseWebhook(
      const WebhookRequest& request) const = 0;
  // kInvalidRequest when !Describe().can_fetch_status.
  virtual Result<StatusReport, GatewayError> FetchStatus(std::string_view gateway_charge_id) = 0;
  // One cheap authenticated call (token exchange, balance, capacity) to prove the credentials.
  virtual std::optional<GatewayError> ValidateCredentials() = 0;
};

}  // namespace cambista::payins
