// The PayoutProvider port: what Cambista needs of a provider that sends money out (Heleket for
// crypto, a PSP's PIX send API, BuhoPago's bank credits). One adapter per provider under
// providers/<name>/, next to its sandbox simulator, built by name from the desk's credentials.
//
// A payout reaches its provider at most once. The caller fixes `reference` (the provider-side
// idempotency key: Heleket's order_id, a PSP's idEnvio) before the first call and stores it with
// the state change; Create with a reference the provider already holds must return that payout,
// never a second one. A Create whose answer was lost (kUnavailable: timeout, transport failure,
// 5xx) has an unknown outcome: the caller asks Fetch by the same reference, and never creates
// again under another one.
//
// Adapters convert amounts exactly (from the JSON number's own text, never through a double), map
// the provider's statuses onto ProviderPayoutStatus case-insensitively (a status the adapter does
// not know is refused, never guessed), and validate callbacks field by field: a callback becomes a
// ProviderPayout or a CallbackRejection naming the field. A callback is a hint: the payouts service
// applies a final state only once Fetch confirms it. Error messages never carry credentials.
// Instances are thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/amount.hpp"
#include "core/result.hpp"
#include "payouts/destination.hpp"

namespace cambista {
class Clock;
}
namespace cambista::net {
class HttpClient;
}

namespace cambista::payouts {

// A provider's view of a payout, in its forward order: PROCESSING, then PAID, FAILED or
// CANCELLED. Only a report with `is_final` ends a payout (Heleket's `fail` may turn out
// otherwise until it is final).
enum class ProviderPayoutStatus : uint8_t { kProcessing, kPaid, kFailed, kCancelled };
std::string_view ProviderPayoutStatusName(ProviderPayoutStatus status);  // "PROCESSING", ...

struct PayoutRequest {
  std::string reference;  // the provider-side idempotency key, <= 32 chars of [A-Za-z0-9_-]
  Amount amount;          // in the asset the provider sends
  Destination destination;
  std::string callback_url;  // where the provider posts: <public base>/callbacks/payouts/<provider>
};

// What a provider says of one payout: the answer to Create or Fetch, a row of List, a callback.
struct ProviderPayout {
  std::string provider_id;  // the provider's own id (Heleket uuid, a PSP's e2eId)
  std::string reference;    // ours, as echoed
  ProviderPayoutStatus status = ProviderPayoutStatus::kProcessing;
  bool is_final = false;
  std::optional<Amount> amount;      // what the provider sends
  std::optional<Amount> commission;  // what it charges for it, where it says
  std::string txid;                  // the chain transaction or end-to-end id, once known
  std::string raw_status;            // the provider's own word, kept for the record
  std::string reason;                // why it failed, where the provider says
};

struct ProviderError {
  enum class Kind {
    kInvalidRequest,  // refused before calling (asset, network or kind not served, bad field)
    kAuth,            // credentials refused (401/403)
    kRejected,        // the provider answered 4xx: nothing was created
    kNotFound,        // Fetch: the provider holds no payout with that reference
    kRateLimited,     // 429
    kUnavailable,     // transport failure, timeout or 5xx: for Create, the outcome is unknown
    kBadResponse,     // a 2xx we cannot understand, or a redirect
  };
  Kind kind;
  std::string message;  // for logs and the API; never contains credentials
  int http_status = 0;  // the provider's HTTP status when it answered; 0 otherwise
};
std::string_view ProviderErrorKindName(ProviderError::Kind kind);  // "unavailable", ...

// One incoming callback delivery, as received: signatures are checked on the raw bytes.
struct CallbackRequest {
  std::string_view body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view Header(std::string_view name) const;  // case-insensitive; empty when absent
};

struct CallbackRejection {
  enum class Kind {
    kBadSignature,  // signature missing or wrong: 401, nothing recorded (not even a dedupe key)
    kMalformed,     // not JSON, or a field missing or of the wrong type: 400
    kIgnored,       // well-formed but not about a payout: 200, nothing done
  };
  Kind kind;
  std::string field;
  std::string message;
};

// What a provider can still send or credit, per asset (Heleket's balance, BuhoPago's capacity).
struct ProviderCapacity {
  std::string asset;
  Amount available;
  std::optional<Amount> processed_total;  // BuhoPago volume_processed_total
  std::optional<Amount> credited_total;   // BuhoPago volume_credited_total
};

struct PayoutPage {
  std::vector<ProviderPayout> payouts;
  std::string next_cursor;  // empty on the last page
};

// What a provider serves: assets with their networks (crypto) or destination kinds.
struct PayoutRoute {
  std::string asset;              // "USDT", "BRL", "VES"
  DestinationKind kind;           // crypto_address, pix_key or ves_bank
  std::vector<Network> networks;  // crypto_address only
  Amount minimum;
  std::optional<Amount> maximum;
};

struct ProviderDescription {
  std::string name;  // "heleket"
  std::string display_name;
  std::vector<std::string> required_credentials;
  std::vector<std::string> optional_credentials =
      {};  // used when given (BuhoPago's webhook_secret)
  std::vector<PayoutRoute> routes;
  bool signs_callbacks = false;  // false: a callback only prompts a Fetch
  bool can_cancel = false;
  // Sends only to the desk's own account, registered at the provider (BuhoPago's credits to the
  // desk's bank): for the treasury, never for a customer's payout.
  bool own_account_only = false;
};

using Credentials = std::map<std::string, std::string, std::less<>>;

// What an adapter needs from its surroundings.
struct ProviderContext {
  const net::HttpClient* http = nullptr;
  const Clock* clock = nullptr;
  std::string base_url;  // https://api.heleket.com, or http://127.0.0.1:8080/sandbox/heleket
  int64_t timeout_ms = 10'000;
};

class PayoutProvider {
 public:
  virtual ~PayoutProvider() = default;
  virtual const ProviderDescription& Describe() const = 0;
  // Idempotent by request.reference. Checks the route and bounds first (kInvalidRequest, no call).
  virtual Result<ProviderPayout, ProviderError> Create(const PayoutRequest& request) = 0;
  virtual Result<ProviderPayout, ProviderError> Fetch(std::string_view reference) = 0;
  // kInvalidRequest when !Describe().can_cancel; kRejected when the payout is past cancelling.
  virtual Result<ProviderPayout, ProviderError> Cancel(std::string_view reference) = 0;
  // Pure: no I/O. Verifies the signature where the provider signs.
  virtual Result<ProviderPayout, CallbackRejection> ParseCallback(
      const CallbackRequest& request) const = 0;
  virtual Result<std::vector<ProviderCapacity>, ProviderError> ReadCapacity() = 0;
  // Payouts created at or after `since_ms` (epoch ms), a page at a time, for reconciliation.
  virtual Result<PayoutPage, ProviderError> List(int64_t since_ms, std::string_view cursor) = 0;
};

}  // namespace cambista::payouts
