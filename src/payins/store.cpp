#include "payins/store.hpp"

#include <stdexcept>

namespace cambista::payins {
namespace {

constexpr std::string_view kChargeColumns =
    "id, tenant, gateway, gateway_charge_id, provider_hash, reference, status, currency, amount, "
    "paid_amount, description, customer, pix_code, payment_instructions, expires_at_ms, "
    "created_at_ms, updated_at_ms, paid_at_ms, last_error, fee_amount, proof, review_kind, "
    "next_check_at_ms, check_failures";

std::string OptionalText(const store::Row& row, int column) {
  return row.IsNull(column) ? std::string() : std::string(row.Text(column));
}

std::optional<i128> OptionalInt128(const store::Row& row, int column) {
  return row.IsNull(column) ? std::nullopt : std::optional<i128>(row.Int128(column));
}

// A stored name this binary does not know means a newer binary wrote it: stop, never guess.
template <class T>
T Known(std::optional<T> value, std::string_view what) {
  if (!value)
    throw std::runtime_error("charges: unknown " + std::string(what) + " in the database");
  return *value;
}

Charge ReadCharge(const store::Row& row) {
  Charge charge;
  charge.id = row.Text(0);
  charge.tenant = row.Text(1);
  charge.gateway = OptionalText(row, 2);
  charge.gateway_charge_id = OptionalText(row, 3);
  charge.provider_hash = OptionalText(row, 4);
  charge.reference = row.Text(5);
  charge.status = Known(ParseChargeStatus(row.Text(6)), "status");
  charge.currency = row.Text(7);
  charge.amount = row.Int128(8);
  charge.paid_amount = OptionalInt128(row, 9);
  charge.description = row.Text(10);
  charge.customer_json = row.Text(11);
  charge.pix_code = OptionalText(row, 12);
  charge.payment_instructions = OptionalText(row, 13);
  charge.expires_at_ms = row.Int64(14);
  charge.created_at_ms = row.Int64(15);
  charge.updated_at_ms = row.Int64(16);
  if (!row.IsNull(17)) charge.paid_at_ms = row.Int64(17);
  charge.last_error = OptionalText(row, 18);
  charge.fee_amount = OptionalInt128(row, 19);
  if (!row.IsNull(20)) charge.proof = Known(ParseProof(row.Text(20)), "proof");
  if (!row.IsNull(21)) charge.review_kind = Known(ParseReviewKind(row.Text(21)), "review kind");
  charge.next_check_at_ms = row.Int64(22);
  charge.check_failures = static_cast<int>(row.Int64(23));
  return charge;
}

std::optional<Charge> QueryOne(store::Connection& connection, std::string_view where,
                               std::initializer_list<store::Param> params, bool lock) {
  std::optional<Charge> found;
  std::string sql =
      "SELECT " + std::string(kChargeColumns) + " FROM charges WHERE " + std::string(where);
  if (lock && connection.backend() == store::Backend::kPostgres) sql += " FOR UPDATE";
  connection.Query(sql, params, [&found](const store::Row& row) { found = ReadCharge(row); });
  return found;
}

std::vector<Charge> QueryMany(store::Connection& connection, std::string_view where_and_order,
                              std::initializer_list<store::Param> params) {
  std::vector<Charge> charges;
  connection.Query("SELECT " + std::string(kChargeColumns) + " FROM charges WHERE " +
                       std::string(where_and_order),
                   params,
                   [&charges](const store::Row& row) { charges.push_back(ReadCharge(row)); });
  return charges;
}

store::Param TextOrNull(std::string_view text) {
  return text.empty() ? store::Param(store::Null{}) : store::Param(text);
}

store::Param Int128OrNull(const std::optional<i128>& value) {
  return value ? store::Param(store::Int128{*value}) : store::Param(store::Null{});
}

std::optional<i128> BoundOf(const store::Row& row, int column) {
  return OptionalInt128(row, column);
}

}  // namespace

jobs::PurgeRule DeliveryBodiesRetentionRule() {
  jobs::PurgeRule rule;
  rule.table = "gateway_deliveries";
  rule.key_column = "id";
  rule.time_column = "received_at_ms";
  rule.action = jobs::PurgeAction::kBlankColumn;
  rule.blank_column = "body";
  return rule;
}

std::optional<Charge> ChargeStore::Find(store::Connection& connection, std::string_view id,
                                        bool lock) {
  return QueryOne(connection, "id = $1", {id}, lock);
}

std::optional<Charge> ChargeStore::FindOwned(store::Connection& connection, std::string_view tenant,
                                             std::string_view id) {
  return QueryOne(connection, "id = $1 AND tenant = $2", {id, tenant}, false);
}

std::optional<Charge> ChargeStore::FindByIdempotencyKey(store::Connection& connection,
                                                        std::string_view tenant,
                                                        std::string_view key) {
  return QueryOne(connection, "tenant = $1 AND idempotency_key = $2", {tenant, key}, false);
}

std::optional<Charge> ChargeStore::FindByTokenHash(store::Connection& connection,
                                                   std::string_view token_hash) {
  return QueryOne(connection, "callback_token_hash = $1", {token_hash}, false);
}

std::vector<Charge> ChargeStore::List(store::Connection& connection, std::string_view tenant,
                                      std::optional<ChargeStatus> status,
                                      std::optional<std::string_view> gateway,
                                      std::optional<std::string_view> before_id, int limit) {
  return QueryMany(connection,
                   "tenant = $1 AND ($2 = '' OR status = $2) AND ($3 = '' OR gateway = $3) AND "
                   "($4 = '' OR id < $4) ORDER BY id DESC LIMIT $5",
                   {tenant, status ? ChargeStatusName(*status) : std::string_view(),
                    gateway.value_or(""), before_id.value_or(""), static_cast<int64_t>(limit)});
}

void ChargeStore::InsertCreating(store::Connection& connection, const Charge& charge,
                                 std::string_view idempotency_key, std::string_view token_hash) {
  connection.Execute(
      "INSERT INTO charges (id, tenant, idempotency_key, reference, status, currency, amount, "
      "description, customer, expires_at_ms, created_at_ms, updated_at_ms, callback_token_hash, "
      "next_check_at_ms) VALUES ($1, $2, $3, $4, 'CREATING', $5, $6, $7, $8, $9, $10, $10, $11, "
      "0)",
      {std::string_view(charge.id), std::string_view(charge.tenant), idempotency_key,
       std::string_view(charge.reference), std::string_view(charge.currency),
       store::Int128{charge.amount}, std::string_view(charge.description),
       std::string_view(charge.customer_json), charge.expires_at_ms, charge.created_at_ms,
       token_hash});
}

bool ChargeStore::MarkCreated(store::Connection& connection, const Charge& charge) {
  return connection.Execute(
             "UPDATE charges SET status = 'PENDING', gateway = $2, gateway_charge_id = $3, "
             "provider_hash = $4, pix_code = $5, payment_instructions = $6, expires_at_ms = $7, "
             "updated_at_ms = $8, last_error = $9 WHERE id = $1 AND status = 'CREATING'",
             {std::string_view(charge.id), std::string_view(charge.gateway),
              std::string_view(charge.gateway_charge_id), TextOrNull(charge.provider_hash),
              std::string_view(charge.pix_code), std::string_view(charge.payment_instructions),
              charge.expires_at_ms, charge.updated_at_ms, TextOrNull(charge.last_error)}) == 1;
}

void ChargeStore::UpdateState(store::Connection& connection, const Charge& charge) {
  connection.Execute(
      "UPDATE charges SET status = $2, paid_amount = $3, fee_amount = $4, proof = $5, "
      "review_kind = $6, paid_at_ms = $7, updated_at_ms = $8, last_error = $9 WHERE id = $1",
      {std::string_view(charge.id), ChargeStatusName(charge.status),
       Int128OrNull(charge.paid_amount), Int128OrNull(charge.fee_amount),
       charge.proof == Proof::kNone ? store::Param(store::Null{})
                                    : store::Param(ProofName(charge.proof)),
       charge.review_kind == ReviewKind::kNone ? store::Param(store::Null{})
                                               : store::Param(ReviewKindName(charge.review_kind)),
       charge.paid_at_ms ? store::Param(*charge.paid_at_ms) : store::Param(store::Null{}),
       charge.updated_at_ms, TextOrNull(charge.last_error)});
}

void ChargeStore::ScheduleCheck(store::Connection& connection, std::string_view id,
                                int64_t next_check_at_ms, int check_failures) {
  connection.Execute("UPDATE charges SET next_check_at_ms = $2, check_failures = $3 WHERE id = $1",
                     {id, next_check_at_ms, static_cast<int64_t>(check_failures)});
}

std::vector<Charge> ChargeStore::AtGateway(store::Connection& connection, std::string_view gateway,
                                           int64_t since_ms, std::string_view after_id, int limit) {
  return QueryMany(connection,
                   "gateway = $1 AND gateway_charge_id IS NOT NULL AND gateway_charge_id <> '' AND "
                   "created_at_ms >= $2 AND id > $3 ORDER BY id LIMIT $4",
                   {gateway, since_ms, after_id, static_cast<int64_t>(limit)});
}

std::vector<Charge> ChargeStore::DueForExpiry(store::Connection& connection, int64_t now_ms,
                                              int limit) {
  return QueryMany(connection,
                   "status = 'PENDING' AND expires_at_ms < $1 AND next_check_at_ms <= $1 ORDER BY "
                   "next_check_at_ms, id LIMIT $2",
                   {now_ms, static_cast<int64_t>(limit)});
}

std::vector<Charge> ChargeStore::StaleCreating(store::Connection& connection,
                                               int64_t created_before_ms, int limit) {
  return QueryMany(connection,
                   "status = 'CREATING' AND created_at_ms < $1 ORDER BY created_at_ms, id LIMIT $2",
                   {created_before_ms, static_cast<int64_t>(limit)});
}

void ChargeStore::AppendHistory(store::Connection& connection, std::string_view charge_id,
                                std::optional<ChargeStatus> from, ChargeStatus to,
                                std::string_view actor, std::string_view reason, int64_t at_ms) {
  connection.Execute(
      "INSERT INTO charge_history (charge_id, from_status, to_status, actor, reason, at_ms) "
      "VALUES ($1, $2, $3, $4, $5, $6)",
      {charge_id, from ? store::Param(ChargeStatusName(*from)) : store::Param(store::Null{}),
       ChargeStatusName(to), actor, reason, at_ms});
}

std::vector<ChargeHistoryEntry> ChargeStore::History(store::Connection& connection,
                                                     std::string_view charge_id) {
  std::vector<ChargeHistoryEntry> entries;
  connection.Query(
      "SELECT from_status, to_status, actor, reason, at_ms FROM charge_history WHERE charge_id = "
      "$1 ORDER BY id",
      {charge_id}, [&entries](const store::Row& row) {
        ChargeHistoryEntry entry;
        if (!row.IsNull(0)) entry.from = Known(ParseChargeStatus(row.Text(0)), "status");
        entry.to = Known(ParseChargeStatus(row.Text(1)), "status");
        entry.actor = row.Text(2);
        entry.reason = row.Text(3);
        entry.at_ms = row.Int64(4);
        entries.push_back(std::move(entry));
      });
  return entries;
}

void ChargeStore::UpsertCredentials(store::Connection& connection, std::string_view tenant,
                                    const GatewaySetting& setting, std::string_view sealed) {
  connection.Execute(
      "INSERT INTO gateway_credentials (tenant, gateway, currency, priority, credentials_sealed, "
      "tenant_hint, created_at_ms, updated_at_ms, min_amount, max_amount) VALUES ($1, $2, $3, $4, "
      "$5, NULL, $6, $6, $7, $8) ON CONFLICT (tenant, gateway) DO UPDATE SET currency = "
      "excluded.currency, priority = excluded.priority, credentials_sealed = "
      "excluded.credentials_sealed, updated_at_ms = excluded.updated_at_ms, min_amount = "
      "excluded.min_amount, max_amount = excluded.max_amount",
      {tenant, std::string_view(setting.gateway), std::string_view(setting.currency),
       setting.priority, store::Blob{sealed}, setting.updated_at_ms,
       Int128OrNull(setting.bounds.minimum), Int128OrNull(setting.bounds.maximum)});
}

std::optional<CredentialsRow> ChargeStore::LoadCredentials(store::Connection& connection,
                                                           std::string_view tenant,
                                                           std::string_view gateway) {
  std::optional<CredentialsRow> found;
  connection.Query(
      "SELECT credentials_sealed, updated_at_ms, min_amount, max_amount FROM gateway_credentials "
      "WHERE tenant = $1 AND gateway = $2",
      {tenant, gateway}, [&found](const store::Row& row) {
        found = CredentialsRow{row.Bytes(0), row.Int64(1), {BoundOf(row, 2), BoundOf(row, 3)}};
      });
  return found;
}

std::vector<std::pair<GatewaySetting, std::string>> ChargeStore::Settings(
    store::Connection& connection, std::string_view tenant) {
  std::vector<std::pair<GatewaySetting, std::string>> settings;
  connection.Query(
      "SELECT gateway, currency, priority, tenant_hint, updated_at_ms, min_amount, max_amount, "
      "credentials_sealed FROM gateway_credentials WHERE tenant = $1 ORDER BY currency, priority, "
      "gateway",
      {tenant}, [&settings](const store::Row& row) {
        GatewaySetting setting;
        setting.gateway = row.Text(0);
        setting.currency = row.Text(1);
        setting.priority = row.Int64(2);
        setting.tenant_hint = OptionalText(row, 3);
        setting.updated_at_ms = row.Int64(4);
        setting.bounds = {BoundOf(row, 5), BoundOf(row, 6)};
        settings.emplace_back(std::move(setting), row.Bytes(7));
      });
  return settings;
}

std::vector<std::string> ChargeStore::Candidates(store::Connection& connection,
                                                 std::string_view tenant,
                                                 std::string_view currency) {
  std::vector<std::string> candidates;
  connection.Query(
      "SELECT gateway FROM gateway_credentials WHERE tenant = $1 AND currency = $2 ORDER BY "
      "priority, gateway",
      {tenant, currency},
      [&candidates](const store::Row& row) { candidates.emplace_back(row.Text(0)); });
  return candidates;
}

void ChargeStore::SetTenantHint(store::Connection& connection, std::string_view tenant,
                                std::string_view gateway, std::string_view hint) {
  connection.Execute(
      "UPDATE gateway_credentials SET tenant_hint = $3 WHERE tenant = $1 AND gateway = $2 AND "
      "(tenant_hint IS NULL OR tenant_hint <> $3)",
      {tenant, gateway, hint});
}

void ChargeStore::InsertDelivery(store::Connection& connection, const Delivery& delivery) {
  connection.Execute(
      "INSERT INTO gateway_deliveries (gateway, tenant, charge_id, event_id, verified, outcome, "
      "detail, source_address, body, received_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
      "$10)",
      {std::string_view(delivery.gateway), TextOrNull(delivery.tenant),
       TextOrNull(delivery.charge_id), TextOrNull(delivery.event_id),
       int64_t{delivery.verified ? 1 : 0}, std::string_view(delivery.outcome),
       TextOrNull(delivery.detail), TextOrNull(delivery.source_address), store::Blob{delivery.body},
       delivery.received_at_ms});
}

bool ChargeStore::AppliedEventExists(store::Connection& connection, std::string_view gateway,
                                     std::string_view event_id) {
  bool found = false;
  connection.Query(
      "SELECT 1 FROM gateway_deliveries WHERE gateway = $1 AND event_id = $2 AND outcome = "
      "'applied'",
      {gateway, event_id}, [&found](const store::Row&) { found = true; });
  return found;
}

void ChargeStore::BumpStats(store::Connection& connection, std::string_view tenant,
                            std::string_view gateway, std::string_view currency, int64_t created,
                            int64_t paid, i128 volume, std::optional<std::string_view> error,
                            int64_t now_ms) {
  connection.Execute(
      "INSERT INTO charge_stats (tenant, gateway, currency, created, paid, volume_paid, failures) "
      "VALUES ($1, $2, $3, 0, 0, $4, 0) ON CONFLICT (tenant, gateway, currency) DO NOTHING",
      {tenant, gateway, currency, store::Int128{0}});
  i128 volume_before = 0;
  connection.Query(
      std::string("SELECT volume_paid FROM charge_stats WHERE tenant = $1 AND gateway = $2 AND "
                  "currency = $3") +
          (connection.backend() == store::Backend::kPostgres ? " FOR UPDATE" : ""),
      {tenant, gateway, currency},
      [&volume_before](const store::Row& row) { volume_before = row.Int128(0); });
  if (error) {
    connection.Execute(
        "UPDATE charge_stats SET failures = failures + 1, last_error = $4, last_error_at_ms = $5 "
        "WHERE tenant = $1 AND gateway = $2 AND currency = $3",
        {tenant, gateway, currency, *error, now_ms});
  }
  if (created != 0 || paid != 0 || volume != 0) {
    connection.Execute(
        "UPDATE charge_stats SET created = created + $4, paid = paid + $5, volume_paid = $6 WHERE "
        "tenant = $1 AND gateway = $2 AND currency = $3",
        {tenant, gateway, currency, created, paid, store::Int128{volume_before + volume}});
  }
}

std::vector<ChargeStatsRow> ChargeStore::Stats(store::Connection& connection,
                                               std::string_view tenant) {
  std::vector<ChargeStatsRow> rows;
  connection.Query(
      "SELECT gateway, currency, created, paid, volume_paid, failures, last_error, "
      "last_error_at_ms FROM charge_stats WHERE tenant = $1 ORDER BY gateway, currency",
      {tenant}, [&rows](const store::Row& row) {
        ChargeStatsRow stats;
        stats.gateway = row.Text(0);
        stats.currency = row.Text(1);
        stats.created = row.Int64(2);
        stats.paid = row.Int64(3);
        stats.volume_paid = row.Int128(4);
        stats.failures = row.Int64(5);
        stats.last_error = OptionalText(row, 6);
        if (!row.IsNull(7)) stats.last_error_at_ms = row.Int64(7);
        rows.push_back(std::move(stats));
      });
  return rows;
}

std::vector<std::pair<std::string, ChargeStatsRow>> ChargeStore::AllStats(
    store::Connection& connection) {
  std::vector<std::pair<std::string, ChargeStatsRow>> rows;
  connection.Query(
      "SELECT tenant, gateway, currency, created, paid, volume_paid, failures FROM charge_stats "
      "ORDER BY tenant, gateway, currency",
      {}, [&rows](const store::Row& row) {
        ChargeStatsRow stats;
        stats.gateway = row.Text(1);
        stats.currency = row.Text(2);
        stats.created = row.Int64(3);
        stats.paid = row.Int64(4);
        stats.volume_paid = row.Int128(5);
        stats.failures = row.Int64(6);
        rows.emplace_back(std::string(row.Text(0)), std::move(stats));
      });
  return rows;
}

}  // namespace cambista::payins
