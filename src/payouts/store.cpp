#include "payouts/store.hpp"

#include <string>

#include "core/assert.hpp"

namespace cambista::payouts {
namespace {

constexpr std::string_view kCustomerColumns =
    "tenant, id, name, document, kyc_level, created_at_ms, updated_at_ms";
constexpr std::string_view kDestinationColumns =
    "tenant, id, customer_id, kind, network, address, pix_key_kind, pix_key, bank, account, "
    "document, document_kind, created_at_ms";
constexpr std::string_view kDepositColumns =
    "tenant, id, account, asset, amount, reference, actor, created_at_ms";

Customer ReadCustomer(const store::Row& row) {
  Customer c;
  c.tenant = row.Text(0);
  c.id = row.Text(1);
  c.name = row.Text(2);
  c.document = row.Text(3);
  c.kyc_level = static_cast<int>(row.Int64(4));
  c.created_at_ms = row.Int64(5);
  c.updated_at_ms = row.Int64(6);
  return c;
}

// A destination's nine columns (kind .. document_kind), from column `at` on.
Destination ReadDestinationColumns(const store::Row& row, int at) {
  Destination d;
  d.kind = static_cast<DestinationKind>(row.Int64(at));
  d.network = static_cast<Network>(row.Int64(at + 1));
  d.address = row.Text(at + 2);
  d.pix_key_kind = static_cast<pix::PixKeyKind>(row.Int64(at + 3));
  d.key = row.Text(at + 4);
  d.bank = row.Text(at + 5);
  d.account = row.Text(at + 6);
  d.document = row.Text(at + 7);
  d.document_kind = static_cast<VesDocumentKind>(row.Int64(at + 8));
  return d;
}

void AddDestinationParams(std::vector<store::Param>& params, const Destination& d) {
  params.insert(params.end(),
                {static_cast<int64_t>(d.kind), static_cast<int64_t>(d.network),
                 std::string_view(d.address), static_cast<int64_t>(d.pix_key_kind),
                 std::string_view(d.key), std::string_view(d.bank), std::string_view(d.account),
                 std::string_view(d.document), static_cast<int64_t>(d.document_kind)});
}

SavedDestination ReadDestination(const store::Row& row) {
  SavedDestination s;
  s.tenant = row.Text(0);
  s.id = row.Text(1);
  s.customer_id = row.Text(2);
  s.destination = ReadDestinationColumns(row, 3);
  s.created_at_ms = row.Int64(12);
  return s;
}

constexpr std::string_view kPayoutColumns =
    "tenant, id, customer_id, provider, asset, amount, kind, network, address, pix_key_kind, "
    "pix_key, bank, account, document, document_kind, origin, reference, provider_reference, "
    "provider_id, status, txid, commission, failure_reason, created_by, idempotency_key, "
    "created_at_ms, updated_at_ms, unknown_since_ms";

Payout ReadPayout(const store::Row& row) {
  Payout p;
  p.tenant = row.Text(0);
  p.id = row.Text(1);
  p.customer_id = row.Text(2);
  p.provider = row.Text(3);
  p.asset = row.Text(4);
  p.amount = row.Int128(5);
  p.destination = ReadDestinationColumns(row, 6);
  p.origin = static_cast<PayoutOrigin>(row.Int64(15));
  p.reference = row.Text(16);
  p.provider_reference = row.Text(17);
  p.provider_id = row.Text(18);
  p.status = static_cast<PayoutStatus>(row.Int64(19));
  p.txid = row.Text(20);
  if (!row.IsNull(21)) p.commission = row.Int128(21);
  p.failure_reason = row.Text(22);
  p.created_by = row.Text(23);
  p.idempotency_key = row.Text(24);
  p.created_at_ms = row.Int64(25);
  p.updated_at_ms = row.Int64(26);
  p.unknown_since_ms = row.Int64(27);
  return p;
}

std::string Locked(store::Connection& connection, std::string sql, bool lock) {
  if (lock && connection.backend() == store::Backend::kPostgres) sql += " FOR UPDATE";
  return sql;
}

Deposit ReadDeposit(const store::Row& row) {
  Deposit d;
  d.tenant = row.Text(0);
  d.id = row.Text(1);
  d.account = row.Text(2);
  d.asset = row.Text(3);
  d.amount = row.Int128(4);
  d.reference = row.Text(5);
  d.actor = row.Text(6);
  d.created_at_ms = row.Int64(7);
  return d;
}

std::string Select(std::string_view columns, std::string_view table) {
  return "SELECT " + std::string(columns) + " FROM " + std::string(table);
}

}  // namespace

std::optional<Customer> PayoutStore::FindCustomer(store::Connection& connection,
                                                  std::string_view tenant, std::string_view id) {
  std::optional<Customer> found;
  connection.Query(Select(kCustomerColumns, "payout_customers") + " WHERE tenant = $1 AND id = $2",
                   {tenant, id}, [&](const store::Row& row) { found = ReadCustomer(row); });
  return found;
}

void PayoutStore::UpsertCustomer(store::Connection& connection, const Customer& c) {
  connection.Execute(
      "INSERT INTO payout_customers (" + std::string(kCustomerColumns) +
          ") VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (tenant, id) DO UPDATE SET name = "
          "excluded.name, document = excluded.document, kyc_level = excluded.kyc_level, "
          "updated_at_ms = excluded.updated_at_ms",
      {std::string_view(c.tenant), std::string_view(c.id), std::string_view(c.name),
       std::string_view(c.document), static_cast<int64_t>(c.kyc_level), c.updated_at_ms});
}

std::optional<SavedDestination> PayoutStore::FindDestination(store::Connection& connection,
                                                             std::string_view tenant,
                                                             std::string_view id) {
  std::optional<SavedDestination> found;
  connection.Query(
      Select(kDestinationColumns, "payout_destinations") + " WHERE tenant = $1 AND id = $2",
      {tenant, id}, [&](const store::Row& row) { found = ReadDestination(row); });
  return found;
}

std::optional<SavedDestination> PayoutStore::FindDestinationByFingerprint(
    store::Connection& connection, std::string_view tenant, std::string_view customer_id,
    std::string_view fingerprint) {
  std::optional<SavedDestination> found;
  connection.Query(Select(kDestinationColumns, "payout_destinations") +
                       " WHERE tenant = $1 AND customer_id = $2 AND fingerprint = $3",
                   {tenant, customer_id, fingerprint},
                   [&](const store::Row& row) { found = ReadDestination(row); });
  return found;
}

void PayoutStore::InsertDestination(store::Connection& connection, const SavedDestination& s) {
  const std::string fingerprint = DestinationFingerprint(s.destination);
  std::vector<store::Param> params = {std::string_view(s.tenant), std::string_view(s.id),
                                      std::string_view(s.customer_id)};
  AddDestinationParams(params, s.destination);
  params.insert(params.end(), {s.created_at_ms, std::string_view(fingerprint)});
  connection.Execute(
      "INSERT INTO payout_destinations (" + std::string(kDestinationColumns) +
          ", fingerprint) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
      params);
}

std::vector<SavedDestination> PayoutStore::ListDestinations(store::Connection& connection,
                                                            std::string_view tenant,
                                                            std::string_view customer_id,
                                                            std::string_view after_id, int limit) {
  std::vector<SavedDestination> list;
  connection.Query(Select(kDestinationColumns, "payout_destinations") +
                       " WHERE tenant = $1 AND customer_id = $2 AND id > $3 ORDER BY id LIMIT $4",
                   {tenant, customer_id, after_id, static_cast<int64_t>(limit)},
                   [&](const store::Row& row) { list.push_back(ReadDestination(row)); });
  return list;
}

std::optional<Payout> PayoutStore::FindPayout(store::Connection& connection,
                                              std::string_view tenant, std::string_view id,
                                              bool lock) {
  std::optional<Payout> found;
  connection.Query(
      Locked(connection, Select(kPayoutColumns, "payouts") + " WHERE tenant = $1 AND id = $2",
             lock),
      {tenant, id}, [&](const store::Row& row) { found = ReadPayout(row); });
  return found;
}

std::optional<Payout> PayoutStore::FindPayoutAtProvider(store::Connection& connection,
                                                        std::string_view provider,
                                                        std::string_view provider_reference,
                                                        bool lock) {
  std::optional<Payout> found;
  connection.Query(
      Locked(connection,
             Select(kPayoutColumns, "payouts") + " WHERE provider = $1 AND provider_reference = $2",
             lock),
      {provider, provider_reference}, [&](const store::Row& row) { found = ReadPayout(row); });
  return found;
}

std::optional<Payout> PayoutStore::FindPayoutByIdempotencyKey(store::Connection& connection,
                                                              std::string_view tenant,
                                                              std::string_view key) {
  std::optional<Payout> found;
  connection.Query(
      Select(kPayoutColumns, "payouts") + " WHERE tenant = $1 AND idempotency_key = $2",
      {tenant, key}, [&](const store::Row& row) { found = ReadPayout(row); });
  return found;
}

void PayoutStore::InsertPayout(store::Connection& connection, const Payout& p) {
  std::vector<store::Param> params = {std::string_view(p.tenant),      std::string_view(p.id),
                                      std::string_view(p.customer_id), std::string_view(p.provider),
                                      std::string_view(p.asset),       store::Int128{p.amount}};
  AddDestinationParams(params, p.destination);
  params.insert(
      params.end(),
      {static_cast<int64_t>(p.origin), std::string_view(p.reference),
       std::string_view(p.provider_reference), std::string_view(p.provider_id),
       static_cast<int64_t>(p.status), std::string_view(p.txid),
       p.commission ? store::Param(store::Int128{*p.commission}) : store::Null{},
       std::string_view(p.failure_reason), std::string_view(p.created_by),
       std::string_view(p.idempotency_key), p.created_at_ms, p.updated_at_ms, p.unknown_since_ms});
  std::string placeholders;
  for (size_t i = 1; i <= params.size(); ++i) {
    placeholders += (i == 1 ? "$" : ", $") + std::to_string(i);
  }
  connection.Execute(
      "INSERT INTO payouts (" + std::string(kPayoutColumns) + ") VALUES (" + placeholders + ")",
      params);
}

void PayoutStore::UpdatePayout(store::Connection& connection, const Payout& p) {
  connection.Execute(
      "UPDATE payouts SET status = $3, provider_id = $4, txid = $5, commission = $6, "
      "failure_reason = $7, updated_at_ms = $8, unknown_since_ms = $9 WHERE tenant = $1 AND "
      "id = $2",
      {std::string_view(p.tenant), std::string_view(p.id), static_cast<int64_t>(p.status),
       std::string_view(p.provider_id), std::string_view(p.txid),
       p.commission ? store::Param(store::Int128{*p.commission}) : store::Null{},
       std::string_view(p.failure_reason), p.updated_at_ms, p.unknown_since_ms});
}

void PayoutStore::AppendHistory(store::Connection& connection, const Payout& p,
                                const PayoutChange& change) {
  connection.Execute(
      "INSERT INTO payout_history (tenant, payout_id, seq, from_status, to_status, actor, "
      "reason, at_ms) VALUES ($1, $2, (SELECT count(*) + 1 FROM payout_history WHERE tenant = "
      "$1 AND payout_id = $2), $3, $4, $5, $6, $7)",
      {std::string_view(p.tenant), std::string_view(p.id),
       change.from ? store::Param(static_cast<int64_t>(*change.from)) : store::Null{},
       static_cast<int64_t>(change.to), std::string_view(change.actor),
       std::string_view(change.reason), change.at_ms});
}

std::vector<PayoutChange> PayoutStore::History(store::Connection& connection,
                                               std::string_view tenant, std::string_view id) {
  std::vector<PayoutChange> history;
  connection.Query(
      "SELECT from_status, to_status, actor, reason, at_ms FROM payout_history WHERE tenant = $1 "
      "AND payout_id = $2 ORDER BY seq",
      {tenant, id}, [&](const store::Row& row) {
        PayoutChange change;
        if (!row.IsNull(0)) change.from = static_cast<PayoutStatus>(row.Int64(0));
        change.to = static_cast<PayoutStatus>(row.Int64(1));
        change.actor = row.Text(2);
        change.reason = row.Text(3);
        change.at_ms = row.Int64(4);
        history.push_back(std::move(change));
      });
  return history;
}

std::vector<Payout> PayoutStore::ListPayouts(store::Connection& connection, std::string_view tenant,
                                             std::optional<PayoutStatus> status,
                                             std::optional<std::string_view> customer_id,
                                             std::optional<std::string_view> before_id, int limit) {
  std::vector<Payout> list;
  connection.Query(
      Select(kPayoutColumns, "payouts") +
          " WHERE tenant = $1 AND ($2 < 0 OR status = $2) AND ($3 = '' OR customer_id = $3) "
          "AND ($4 = '' OR id < $4) ORDER BY id DESC LIMIT $5",
      {tenant, status ? static_cast<int64_t>(*status) : int64_t{-1},
       customer_id.value_or(std::string_view()), before_id.value_or(std::string_view()),
       static_cast<int64_t>(limit)},
      [&](const store::Row& row) { list.push_back(ReadPayout(row)); });
  return list;
}

std::vector<Payout> PayoutStore::ListPayoutsAtProvider(store::Connection& connection,
                                                       std::string_view provider,
                                                       int64_t since_ms) {
  std::vector<Payout> list;
  connection.Query(Select(kPayoutColumns, "payouts") +
                       " WHERE provider = $1 AND created_at_ms >= $2 ORDER BY created_at_ms, id",
                   {provider, since_ms},
                   [&](const store::Row& row) { list.push_back(ReadPayout(row)); });
  return list;
}

std::vector<Payout> PayoutStore::ListPayoutsCreatedBetween(store::Connection& connection,
                                                           std::string_view tenant, int64_t from_ms,
                                                           int64_t to_ms, int limit) {
  std::vector<Payout> list;
  connection.Query(Select(kPayoutColumns, "payouts") +
                       " WHERE tenant = $1 AND created_at_ms >= $2 AND created_at_ms < $3 "
                       "ORDER BY created_at_ms LIMIT $4",
                   {tenant, from_ms, to_ms, static_cast<int64_t>(limit)},
                   [&](const store::Row& row) { list.push_back(ReadPayout(row)); });
  return list;
}

std::optional<Deposit> PayoutStore::FindDepositByReference(store::Connection& connection,
                                                           std::string_view tenant,
                                                           std::string_view reference) {
  std::optional<Deposit> found;
  connection.Query(
      Select(kDepositColumns, "treasury_deposits") + " WHERE tenant = $1 AND reference = $2",
      {tenant, reference}, [&](const store::Row& row) { found = ReadDeposit(row); });
  return found;
}

void PayoutStore::InsertDeposit(store::Connection& connection, const Deposit& d) {
  connection.Execute(
      "INSERT INTO treasury_deposits (" + std::string(kDepositColumns) +
          ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
      {std::string_view(d.tenant), std::string_view(d.id), std::string_view(d.account),
       std::string_view(d.asset), store::Int128{d.amount}, std::string_view(d.reference),
       std::string_view(d.actor), d.created_at_ms});
}

namespace {

constexpr std::string_view kSweepColumns =
    "s.id, s.tenant, s.provider, s.asset, s.window_start_ms, s.available, s.processed_total, "
    "s.credited_total, s.ledger_available, s.outcome, s.payout_id, s.amount, s.alerted, s.checks, "
    "s.created_at_ms, s.updated_at_ms";

TreasurySweep ReadSweep(const store::Row& row) {
  TreasurySweep s;
  s.id = row.Text(0);
  s.tenant = row.Text(1);
  s.provider = row.Text(2);
  s.asset = row.Text(3);
  s.window_start_ms = row.Int64(4);
  s.available = row.Int128(5);
  if (!row.IsNull(6)) s.processed_total = row.Int128(6);
  if (!row.IsNull(7)) s.credited_total = row.Int128(7);
  s.ledger_available = row.Int128(8);
  s.outcome = static_cast<SweepOutcome>(row.Int64(9));
  s.payout_id = row.Text(10);
  s.amount = row.Int128(11);
  s.alerted = row.Int64(12) != 0;
  s.checks = row.Int64(13);
  s.created_at_ms = row.Int64(14);
  s.updated_at_ms = row.Int64(15);
  return s;
}

store::Param OptionalAmount(const std::optional<i128>& amount) {
  return amount ? store::Param(store::Int128{*amount}) : store::Null{};
}

}  // namespace

TreasurySweep PayoutStore::ClaimSweep(store::Connection& connection, const TreasurySweep& s) {
  connection.Execute(
      "INSERT INTO treasury_sweeps (id, tenant, provider, asset, window_start_ms, available, "
      "processed_total, credited_total, ledger_available, outcome, payout_id, amount, alerted, "
      "checks, created_at_ms, updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
      "$11, $12, $13, $14, $15, $15) ON CONFLICT (provider, asset, window_start_ms) DO NOTHING",
      {std::string_view(s.id), std::string_view(s.tenant), std::string_view(s.provider),
       std::string_view(s.asset), s.window_start_ms, store::Int128{s.available},
       OptionalAmount(s.processed_total), OptionalAmount(s.credited_total),
       store::Int128{s.ledger_available}, static_cast<int64_t>(s.outcome),
       std::string_view(s.payout_id), store::Int128{s.amount}, int64_t{s.alerted ? 1 : 0}, s.checks,
       s.created_at_ms});
  std::optional<TreasurySweep> claimed;
  connection.Query(Locked(connection,
                          "SELECT " + std::string(kSweepColumns) +
                              " FROM treasury_sweeps s WHERE s.provider = $1 AND s.asset = $2 "
                              "AND s.window_start_ms = $3",
                          true),
                   {std::string_view(s.provider), std::string_view(s.asset), s.window_start_ms},
                   [&](const store::Row& row) { claimed = ReadSweep(row); });
  CAMBISTA_CHECK(claimed.has_value());  // inserted above, or there already
  return std::move(*claimed);
}

void PayoutStore::UpdateSweep(store::Connection& connection, const TreasurySweep& s) {
  connection.Execute(
      "UPDATE treasury_sweeps SET available = $4, processed_total = $5, credited_total = $6, "
      "ledger_available = $7, outcome = $8, payout_id = $9, amount = $10, alerted = $11, "
      "checks = $12, updated_at_ms = $13 WHERE provider = $1 AND asset = $2 AND "
      "window_start_ms = $3",
      {std::string_view(s.provider), std::string_view(s.asset), s.window_start_ms,
       store::Int128{s.available}, OptionalAmount(s.processed_total),
       OptionalAmount(s.credited_total), store::Int128{s.ledger_available},
       static_cast<int64_t>(s.outcome), std::string_view(s.payout_id), store::Int128{s.amount},
       int64_t{s.alerted ? 1 : 0}, s.checks, s.updated_at_ms});
}

std::vector<TreasurySweep> PayoutStore::ListSweeps(store::Connection& connection,
                                                   std::string_view tenant,
                                                   std::string_view before_id, int limit) {
  std::vector<TreasurySweep> list;
  connection.Query(
      "SELECT " + std::string(kSweepColumns) +
          ", p.status FROM treasury_sweeps s LEFT JOIN payouts p ON p.tenant = s.tenant AND "
          "p.id = s.payout_id WHERE s.tenant = $1 AND ($2 = '' OR s.id < $2) ORDER BY s.id DESC "
          "LIMIT $3",
      {tenant, before_id, static_cast<int64_t>(limit)}, [&](const store::Row& row) {
        TreasurySweep sweep = ReadSweep(row);
        if (!row.IsNull(16)) sweep.payout_status = static_cast<PayoutStatus>(row.Int64(16));
        list.push_back(std::move(sweep));
      });
  return list;
}

std::vector<TreasurySweep> PayoutStore::LatestSweeps(store::Connection& connection) {
  std::vector<TreasurySweep> list;
  connection.Query("SELECT " + std::string(kSweepColumns) +
                       " FROM treasury_sweeps s WHERE s.window_start_ms = (SELECT "
                       "max(t.window_start_ms) FROM treasury_sweeps t WHERE t.provider = "
                       "s.provider AND t.asset = s.asset) ORDER BY s.provider, s.asset",
                   {}, [&](const store::Row& row) { list.push_back(ReadSweep(row)); });
  return list;
}

}  // namespace cambista::payouts
