// Every SQL statement of the pay-ins, on both backends: charges and their history, the tenants'
// gateway credentials (sealed bytes only: sealing is the service's), the webhook deliveries kept
// for the audit, and the counters behind the statistics. Each function runs on a Connection the
// caller owns, in whatever transaction the caller has open. `lock` reads take the row's lock on
// PostgreSQL (FOR UPDATE); SQLite's write transaction holds the database's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jobs/retention.hpp"
#include "payins/model.hpp"
#include "store/database.hpp"

namespace cambista::payins {

// A tenant's credentials row for one gateway.
struct CredentialsRow {
  std::string sealed;
  int64_t updated_at_ms = 0;
  AmountBounds bounds;
};

// One webhook delivery as received, verified or not.
struct Delivery {
  std::string gateway;
  std::string tenant;     // empty: not known
  std::string charge_id;  // empty: not known
  std::string event_id;   // empty: not parsed (unverified deliveries take no dedupe key)
  bool verified = false;
  std::string outcome;  // applied, duplicate, confirming, stale, invalid_token, ...
  std::string detail;
  std::string source_address;
  std::string_view body;
  int64_t received_at_ms = 0;
};

// The retention of the webhook deliveries: their raw bodies go once older than the retention;
// the rows (gateway, charge, outcome, verified) stay for the audit.
jobs::PurgeRule DeliveryBodiesRetentionRule();

class ChargeStore {
 public:
  // --- charges
  static std::optional<Charge> Find(store::Connection& connection, std::string_view id, bool lock);
  static std::optional<Charge> FindOwned(store::Connection& connection, std::string_view tenant,
                                         std::string_view id);
  static std::optional<Charge> FindByIdempotencyKey(store::Connection& connection,
                                                    std::string_view tenant, std::string_view key);
  static std::optional<Charge> FindByTokenHash(store::Connection& connection,
                                               std::string_view token_hash);
  // Newest first; `before_id` is the cursor (ids grow with time).
  static std::vector<Charge> List(store::Connection& connection, std::string_view tenant,
                                  std::optional<ChargeStatus> status,
                                  std::optional<std::string_view> gateway,
                                  std::optional<std::string_view> before_id, int limit);
  // Writes a new CREATING charge, keyed by (tenant, idempotency key); a constraint error when
  // the key is taken.
  static void InsertCreating(store::Connection& connection, const Charge& charge,
                             std::string_view idempotency_key, std::string_view token_hash);
  // CREATING -> PENDING with the gateway's ids and payment details; false when it was no longer
  // CREATING (the recovery job got there first).
  static bool MarkCreated(store::Connection& connection, const Charge& charge);
  // Writes the state fields of `charge` (status, amounts, proof, review, times, last error).
  static void UpdateState(store::Connection& connection, const Charge& charge);
  static void ScheduleCheck(store::Connection& connection, std::string_view id,
                            int64_t next_check_at_ms, int check_failures);
  // PENDING charges past their expiry and due for a check, oldest check first.
  // Reconciliation: charges at `gateway` that it gave an id, created at or after since_ms, after
  // `after_id` in id order, at most `limit`.
  static std::vector<Charge> AtGateway(store::Connection& connection, std::string_view gateway,
                                       int64_t since_ms, std::string_view after_id, int limit);
  static std::vector<Charge> DueForExpiry(store::Connection& connection, int64_t now_ms, int limit);
  // CREATING charges created before `created_before_ms`, oldest first.
  static std::vector<Charge> StaleCreating(store::Connection& connection, int64_t created_before_ms,
                                           int limit);

  // --- history
  static void AppendHistory(store::Connection& connection, std::string_view charge_id,
                            std::optional<ChargeStatus> from, ChargeStatus to,
                            std::string_view actor, std::string_view reason, int64_t at_ms);
  static std::vector<ChargeHistoryEntry> History(store::Connection& connection,
                                                 std::string_view charge_id);

  // --- credentials
  static void UpsertCredentials(store::Connection& connection, std::string_view tenant,
                                const GatewaySetting& setting, std::string_view sealed);
  static std::optional<CredentialsRow> LoadCredentials(store::Connection& connection,
                                                       std::string_view tenant,
                                                       std::string_view gateway);
  // Settings in priority order per currency, with their sealed credentials (same order).
  static std::vector<std::pair<GatewaySetting, std::string>> Settings(store::Connection& connection,
                                                                      std::string_view tenant);
  // The tenant's gateways for a currency, in priority order.
  static std::vector<std::string> Candidates(store::Connection& connection, std::string_view tenant,
                                             std::string_view currency);
  static void SetTenantHint(store::Connection& connection, std::string_view tenant,
                            std::string_view gateway, std::string_view hint);

  // --- deliveries
  static void InsertDelivery(store::Connection& connection, const Delivery& delivery);
  // A verified delivery of this event was applied already.
  static bool AppliedEventExists(store::Connection& connection, std::string_view gateway,
                                 std::string_view event_id);

  // --- statistics
  // Adds to the counters of (tenant, gateway, currency), creating the row.
  static void BumpStats(store::Connection& connection, std::string_view tenant,
                        std::string_view gateway, std::string_view currency, int64_t created,
                        int64_t paid, i128 volume, std::optional<std::string_view> error,
                        int64_t now_ms);
  static std::vector<ChargeStatsRow> Stats(store::Connection& connection, std::string_view tenant);
  // Every tenant's rows, for /metrics.
  static std::vector<std::pair<std::string, ChargeStatsRow>> AllStats(
      store::Connection& connection);
};

}  // namespace cambista::payins
