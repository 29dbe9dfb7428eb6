// Charges: a merchant's (tenant's) request to be paid, created at one of its gateways, then moved
// by verified webhooks. The service behind /v1/charges, /webhooks/<gateway> and the statistics.
//
// Creation calls out to the gateway outside any database transaction: the charge row is written
// first (CREATING, unique per tenant and Idempotency-Key, so a retry finds it), then the gateways
// are tried in the tenant's order for the currency until one creates it, then the row becomes
// PENDING with the gateway's ids and BR Code (or FAILED with the last error).
//
// A webhook is verified (where the gateway signs), deduplicated by (gateway, event id), its status
// re-fetched from the gateway where the gateway allows, and matched to a charge by the gateway's
// transaction id, then its hash, then our reference; an amount-only match is flagged for manual
// review, never paid. The status moves only forwards; on PAID the ledger transfer (the gateway's
// clearing account -> the merchant's account), the `charge.paid` event, the history row and the
// counters commit in one database transaction with the stored delivery.
//
// Charge statuses: CREATING -> PENDING -> PAID | EXPIRED | FAILED, PAID -> REFUNDED, and
// MANUAL_REVIEW (paid amount differs, amount-only match, payment after expiry or failure, refund
// the merchant's balance cannot cover).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/asset.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "ledger/ledger.hpp"
#include "payins/gateway.hpp"
#include "security/secret_box.hpp"
#include "store/connection_pool.hpp"

namespace cambista::payins {

struct Charge {
  std::string id;  // "ch_" + 24 hex digits
  std::string tenant;
  std::string gateway;  // empty while CREATING
  std::string gateway_charge_id;
  std::string provider_hash;
  std::string reference;
  std::string status;  // CREATING, PENDING, PAID, EXPIRED, FAILED, REFUNDED, MANUAL_REVIEW
  std::string currency;
  i128 amount = 0;                  // minor units of currency
  std::optional<i128> paid_amount;  // what the gateway says was paid
  std::string description;
  std::string customer_json;  // {"name","document","email","phone"}
  std::string pix_code;
  std::string payment_instructions;
  int64_t expires_at_ms = 0;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
  std::optional<int64_t> paid_at_ms;
  std::string last_error;
  // Not stored: after a creation that failed everywhere, 422 when every gateway refused the
  // request itself (below its minimum, a missing field), 502 when one was down or misbehaved.
  int creation_failure_status = 0;
};

// The API's JSON of a charge (amounts as decimal strings in the currency's `scale`); also the
// `data` of charge.* events.
std::string ChargeJson(const Charge& charge, int scale);

// The associated data of a tenant's sealed credentials for a gateway
// (gateway_credentials.credentials_sealed).
std::string CredentialContext(std::string_view tenant, std::string_view gateway);

struct NewCharge {
  std::optional<std::string> gateway;  // absent: the tenant's gateways for the currency, in order
  Amount amount;
  std::string description;
  std::string reference;
  Customer customer;
  int64_t expires_in_seconds = 3600;
};

struct ChargeError {
  int status = 400;    // HTTP status to answer with
  std::string code;    // stable problem code
  std::string detail;  // for people
  std::string field;   // the offending field, if any
};

// Builds an adapter for a gateway from (decrypted) credentials; the composition root binds the
// registry and the base URLs (real or sandbox). Errors are for people (no credentials in them).
using AdapterFactory = std::function<Result<std::unique_ptr<PayinGateway>, ChargeError>(
    std::string_view gateway, const Credentials& credentials)>;

struct GatewaySetting {
  std::string gateway;
  std::string currency;
  int64_t priority = 0;  // lower first
  std::string tenant_hint;
  int64_t updated_at_ms = 0;
  std::vector<std::string> credential_names;  // never the values
};

struct ChargeStatsRow {
  std::string gateway;
  std::string currency;
  int64_t created = 0;
  int64_t paid = 0;
  i128 volume_paid = 0;
  int64_t failures = 0;
  std::string last_error;
  std::optional<int64_t> last_error_at_ms;
};

struct IngestResult {
  int status = 200;     // HTTP status for the gateway
  std::string outcome;  // applied, duplicate, stale, unmatched, manual_review, ignored, ...
  std::string code;     // problem code when status >= 400
  std::string detail;
  std::string charge_id;
};

struct ChargeServiceOptions {
  // Gateways post webhooks to <this>/webhooks/<gateway>/<tenant>; asked per charge (the port may
  // be known only once the server listens).
  std::function<std::string()> public_base_url;
  int64_t expires_in_seconds_max = 7 * 24 * 3600;
  int64_t creating_stale_ms = 10 * 60'000;  // a CREATING row this old failed with its process
  int event_delivery_attempts_max = 12;
};

struct IngestCounters {
  std::atomic<uint64_t> bad_signature{0};
  std::atomic<uint64_t> malformed{0};
  std::atomic<uint64_t> duplicates{0};
  std::atomic<uint64_t> applied{0};
};

class ChargeService {
 public:
  ChargeService(store::Database& database, ledger::Ledger& ledger, const AssetRegistry& assets,
                const SecretBox& box, const Clock& clock, AdapterFactory factory,
                ChargeServiceOptions options);

  // Stores (replaces) a tenant's credentials for a gateway, sealed; builds the adapter first so
  // that missing or malformed credentials are refused. The tenant hint (how the gateway's webhooks
  // name the account: ÁtomoPay's producer hash) is learnt from the gateway's answers.
  Result<GatewaySetting, ChargeError> SetGateway(std::string_view tenant, std::string_view gateway,
                                                 const Credentials& credentials, int64_t priority);
  std::vector<GatewaySetting> Gateways(std::string_view tenant);

  Result<Charge, ChargeError> Create(std::string_view tenant, std::string_view idempotency_key,
                                     const NewCharge& request);
  std::optional<Charge> Get(std::string_view tenant, std::string_view id);
  // Newest first; `before_id` is the cursor (ids grow with time).
  std::vector<Charge> List(std::string_view tenant, std::optional<std::string_view> status,
                           std::optional<std::string_view> gateway,
                           std::optional<std::string_view> before_id, int limit);

  // POST /webhooks/<gateway>[/<tenant>]. Never throws for bad input.
  IngestResult Ingest(std::string_view gateway, std::optional<std::string_view> tenant,
                      const WebhookRequest& request);

  // PENDING charges past their expiry: asks the gateway (where it can) and then expires them;
  // CREATING rows left by a crash become FAILED. Returns how many changed. For a periodic job.
  int ExpireDue();

  std::vector<ChargeStatsRow> Stats(std::string_view tenant);
  // Every tenant's rows, for /metrics.
  std::vector<std::pair<std::string, ChargeStatsRow>> AllStats();
  const IngestCounters& counters() const { return counters_; }

  // The ledger account of a name such as "merchant:acme:BRL" (created on first use).
  static u128 AccountId(std::string_view name);

 private:
  // One adapter per (tenant, gateway), kept while its credentials are unchanged: adapters hold
  // per-account state (SyncPay's token, PushinPay's status limit) and are thread-safe.
  struct Cached {
    int64_t updated_at_ms = 0;
    std::shared_ptr<PayinGateway> gateway;
  };
  Result<std::shared_ptr<PayinGateway>, ChargeError> Adapter(store::Connection& connection,
                                                             std::string_view tenant,
                                                             std::string_view gateway);
  void EnsureAccounts(std::string_view tenant, std::string_view gateway, const Asset& asset);
  void RecordFailure(std::string_view tenant, std::string_view gateway, std::string_view currency,
                     std::string_view error);

  store::ConnectionPool pool_;
  ledger::Ledger& ledger_;
  const AssetRegistry& assets_;
  const SecretBox& box_;
  const Clock& clock_;
  AdapterFactory factory_;
  ChargeServiceOptions options_;
  IngestCounters counters_;
  std::mutex cache_mutex_;
  std::map<std::string, Cached, std::less<>> cache_;  // "<tenant>\n<gateway>"
  std::mutex accounts_mutex_;
  std::set<std::string, std::less<>> accounts_made_;  // "<clearing>\n<merchant>" created
};

}  // namespace cambista::payins
