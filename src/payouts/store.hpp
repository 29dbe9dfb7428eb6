// Every SQL statement of the payouts module, on both backends: customers, their saved
// destinations, payouts, the deposits an operator records and the treasury sweeps. Each function
// runs on a Connection the caller owns, in whatever transaction the caller has open; every read is
// scoped to a tenant.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "payouts/model.hpp"
#include "store/database.hpp"

namespace cambista::payouts {

class PayoutStore {
 public:
  // --- customers
  static std::optional<Customer> FindCustomer(store::Connection& connection,
                                              std::string_view tenant, std::string_view id);
  // Creates the customer or updates its name, document and KYC level (created_at_ms kept).
  static void UpsertCustomer(store::Connection& connection, const Customer& customer);

  // --- destinations
  static std::optional<SavedDestination> FindDestination(store::Connection& connection,
                                                         std::string_view tenant,
                                                         std::string_view id);
  static std::optional<SavedDestination> FindDestinationByFingerprint(store::Connection& connection,
                                                                      std::string_view tenant,
                                                                      std::string_view customer_id,
                                                                      std::string_view fingerprint);
  // A constraint error when the customer already has this place (FindDestinationByFingerprint).
  static void InsertDestination(store::Connection& connection, const SavedDestination& saved);
  // Oldest first, after `after_id` (ids grow with time), at most `limit`.
  static std::vector<SavedDestination> ListDestinations(store::Connection& connection,
                                                        std::string_view tenant,
                                                        std::string_view customer_id,
                                                        std::string_view after_id, int limit);

  // --- payouts
  // `lock`: take the row's lock on PostgreSQL (SQLite's write transaction holds the database's).
  static std::optional<Payout> FindPayout(store::Connection& connection, std::string_view tenant,
                                          std::string_view id, bool lock);
  // By the key a provider knows it under (callbacks, jobs): not scoped to a tenant.
  static std::optional<Payout> FindPayoutAtProvider(store::Connection& connection,
                                                    std::string_view provider,
                                                    std::string_view provider_reference, bool lock);
  static std::optional<Payout> FindPayoutByIdempotencyKey(store::Connection& connection,
                                                          std::string_view tenant,
                                                          std::string_view key);
  // A constraint error when the idempotency key or the provider reference is taken.
  static void InsertPayout(store::Connection& connection, const Payout& payout);
  // Writes the state and what the provider said (status, provider id, txid, commission, reason,
  // updated_at_ms, unknown_since_ms).
  static void UpdatePayout(store::Connection& connection, const Payout& payout);
  static void AppendHistory(store::Connection& connection, const Payout& payout,
                            const PayoutChange& change);
  static std::vector<PayoutChange> History(store::Connection& connection, std::string_view tenant,
                                           std::string_view id);
  // Newest first, before `before_id` (ids grow with time), at most `limit`.
  static std::vector<Payout> ListPayouts(store::Connection& connection, std::string_view tenant,
                                         std::optional<PayoutStatus> status,
                                         std::optional<std::string_view> customer_id,
                                         std::optional<std::string_view> before_id, int limit);

  // Every tenant's payouts at `provider` created at or after `since_ms`, oldest first
  // (reconciliation).
  static std::vector<Payout> ListPayoutsAtProvider(store::Connection& connection,
                                                   std::string_view provider, int64_t since_ms);

  // The tenant's payouts created in [from_ms, to_ms), at most `limit` (statistics).
  static std::vector<Payout> ListPayoutsCreatedBetween(store::Connection& connection,
                                                       std::string_view tenant, int64_t from_ms,
                                                       int64_t to_ms, int limit);

  // --- deposits
  static std::optional<Deposit> FindDepositByReference(store::Connection& connection,
                                                       std::string_view tenant,
                                                       std::string_view reference);
  static void InsertDeposit(store::Connection& connection, const Deposit& deposit);

  // --- treasury sweeps: one row per provider, asset and window
  // Inserts `fresh` unless its provider, asset and window have a row already, then reads that
  // row, locked (on PostgreSQL a second node waits here until the first commits, then finds its
  // credit). In the caller's write transaction.
  static TreasurySweep ClaimSweep(store::Connection& connection, const TreasurySweep& fresh);
  // Writes the figures, outcome, credit, alert flag, checks and updated_at_ms.
  static void UpdateSweep(store::Connection& connection, const TreasurySweep& sweep);
  // The tenant's sweeps, newest first, before `before_id`, with each credit's payout status.
  static std::vector<TreasurySweep> ListSweeps(store::Connection& connection,
                                               std::string_view tenant, std::string_view before_id,
                                               int limit);
  // The latest window's row of every provider and asset (the capacity metrics).
  static std::vector<TreasurySweep> LatestSweeps(store::Connection& connection);
};

}  // namespace cambista::payouts
