#include "trading/store.hpp"

#include <string>

#include "core/int128.hpp"

namespace cambista::trading {
namespace {

using payouts::Destination;

constexpr std::string_view kQuoteColumns =
    "tenant, id, customer_id, from_asset, to_asset, network, side, amount_in, amount_out, rate, "
    "rate_pair, rate_source, spread_bps, fees, usdt_equivalent, created_at_ms, expires_at_ms, "
    "trade_id";

constexpr std::string_view kTradeColumns =
    "tenant, id, quote_id, customer_id, from_asset, to_asset, amount_in, amount_out, fee_amount, "
    "rate, usdt_equivalent, kind, network, address, pix_key_kind, pix_key, bank, account, "
    "document, document_kind, refund_kind, refund_network, refund_address, refund_pix_key_kind, "
    "refund_pix_key, refund_bank, refund_account, refund_document, refund_document_kind, status, "
    "charge_id, payout_id, refund_payout_id, reason, idempotency_key, created_by, expires_at_ms, "
    "created_at_ms, updated_at_ms";

std::string Select(std::string_view columns, std::string_view table) {
  return "SELECT " + std::string(columns) + " FROM " + std::string(table);
}

std::string Locked(store::Connection& connection, std::string sql, bool lock) {
  if (lock && connection.backend() == store::Backend::kPostgres) sql += " FOR UPDATE";
  return sql;
}

std::string Placeholders(size_t count) {
  std::string text;
  for (size_t i = 1; i <= count; ++i) text += (i == 1 ? "$" : ", $") + std::to_string(i);
  return text;
}

// "kind:asset:amount;..." (kinds and assets never hold ':' or ';').
std::string FeesText(const std::vector<Fee>& fees) {
  std::string text;
  for (const Fee& fee : fees) {
    text += (text.empty() ? "" : ";") + fee.kind + ":" + fee.asset + ":" + ToDecimal(fee.amount);
  }
  return text;
}

std::vector<Fee> ParseFees(std::string_view text) {
  std::vector<Fee> fees;
  while (!text.empty()) {
    const size_t end = std::min(text.find(';'), text.size());
    const std::string_view item = text.substr(0, end);
    const size_t first = item.find(':');
    const size_t second = item.find(':', first + 1);
    fees.push_back({std::string(item.substr(0, first)),
                    std::string(item.substr(first + 1, second - first - 1)),
                    ParseI128Decimal(item.substr(second + 1)).value_or(0)});
    text.remove_prefix(std::min(end + 1, text.size()));
  }
  return fees;
}

Quote ReadQuote(const store::Row& row) {
  Quote q;
  q.tenant = row.Text(0);
  q.id = row.Text(1);
  q.customer_id = row.Text(2);
  q.from_asset = row.Text(3);
  q.to_asset = row.Text(4);
  q.network = row.Text(5);
  q.side = static_cast<AmountSide>(row.Int64(6));
  q.amount_in = row.Int128(7);
  q.amount_out = row.Int128(8);
  q.rate = row.Text(9);
  q.rate_pair = row.Text(10);
  q.rate_source = row.Text(11);
  q.spread_bps = row.Int64(12);
  q.fees = ParseFees(row.Text(13));
  q.usdt_equivalent = row.Int128(14);
  q.created_at_ms = row.Int64(15);
  q.expires_at_ms = row.Int64(16);
  q.trade_id = row.Text(17);
  return q;
}

// A destination's nine columns, from column `at` on (kind -1: none).
std::optional<Destination> ReadDestination(const store::Row& row, int at) {
  if (row.Int64(at) < 0) return std::nullopt;
  Destination d;
  d.kind = static_cast<payouts::DestinationKind>(row.Int64(at));
  d.network = static_cast<payouts::Network>(row.Int64(at + 1));
  d.address = row.Text(at + 2);
  d.pix_key_kind = static_cast<pix::PixKeyKind>(row.Int64(at + 3));
  d.key = row.Text(at + 4);
  d.bank = row.Text(at + 5);
  d.account = row.Text(at + 6);
  d.document = row.Text(at + 7);
  d.document_kind = static_cast<payouts::VesDocumentKind>(row.Int64(at + 8));
  return d;
}

// `d` (nullptr: none) must outlive the statement: the parameters point into it.
void AddDestination(std::vector<store::Param>& params, const Destination* d) {
  static const Destination kNone{};
  const Destination& of = d != nullptr ? *d : kNone;
  params.insert(
      params.end(),
      {d != nullptr ? static_cast<int64_t>(of.kind) : int64_t{-1}, static_cast<int64_t>(of.network),
       std::string_view(of.address), static_cast<int64_t>(of.pix_key_kind),
       std::string_view(of.key), std::string_view(of.bank), std::string_view(of.account),
       std::string_view(of.document), static_cast<int64_t>(of.document_kind)});
}

Trade ReadTrade(const store::Row& row) {
  Trade t;
  t.tenant = row.Text(0);
  t.id = row.Text(1);
  t.quote_id = row.Text(2);
  t.customer_id = row.Text(3);
  t.from_asset = row.Text(4);
  t.to_asset = row.Text(5);
  t.amount_in = row.Int128(6);
  t.amount_out = row.Int128(7);
  t.fee_amount = row.Int128(8);
  t.rate = row.Text(9);
  t.usdt_equivalent = row.Int128(10);
  t.destination = ReadDestination(row, 11).value_or(Destination{});
  t.refund_destination = ReadDestination(row, 20);
  t.status = static_cast<TradeStatus>(row.Int64(29));
  t.charge_id = row.Text(30);
  t.payout_id = row.Text(31);
  t.refund_payout_id = row.Text(32);
  t.reason = row.Text(33);
  t.idempotency_key = row.Text(34);
  t.created_by = row.Text(35);
  t.expires_at_ms = row.Int64(36);
  t.created_at_ms = row.Int64(37);
  t.updated_at_ms = row.Int64(38);
  return t;
}

std::optional<Trade> FindOne(store::Connection& connection, const std::string& sql,
                             std::initializer_list<store::Param> params) {
  std::optional<Trade> found;
  connection.Query(sql, params, [&](const store::Row& row) { found = ReadTrade(row); });
  return found;
}

}  // namespace

void TradeStore::InsertQuote(store::Connection& connection, const Quote& q) {
  const std::string fees = FeesText(q.fees);
  const std::vector<store::Param> params = {std::string_view(q.tenant),
                                            std::string_view(q.id),
                                            std::string_view(q.customer_id),
                                            std::string_view(q.from_asset),
                                            std::string_view(q.to_asset),
                                            std::string_view(q.network),
                                            static_cast<int64_t>(q.side),
                                            store::Int128{q.amount_in},
                                            store::Int128{q.amount_out},
                                            std::string_view(q.rate),
                                            std::string_view(q.rate_pair),
                                            std::string_view(q.rate_source),
                                            q.spread_bps,
                                            std::string_view(fees),
                                            store::Int128{q.usdt_equivalent},
                                            q.created_at_ms,
                                            q.expires_at_ms,
                                            std::string_view(q.trade_id)};
  connection.Execute("INSERT INTO trade_quotes (" + std::string(kQuoteColumns) + ") VALUES (" +
                         Placeholders(params.size()) + ")",
                     params);
}

std::optional<Quote> TradeStore::FindQuote(store::Connection& connection, std::string_view tenant,
                                           std::string_view id) {
  std::optional<Quote> found;
  connection.Query(Select(kQuoteColumns, "trade_quotes") + " WHERE tenant = $1 AND id = $2",
                   {tenant, id}, [&](const store::Row& row) { found = ReadQuote(row); });
  return found;
}

bool TradeStore::UseQuote(store::Connection& connection, std::string_view tenant,
                          std::string_view id, std::string_view trade_id) {
  return connection.Execute(
             "UPDATE trade_quotes SET trade_id = $3 WHERE tenant = $1 AND id = $2 AND "
             "trade_id = ''",
             {tenant, id, trade_id}) == 1;
}

int64_t TradeStore::PurgeQuotes(store::Connection& connection, int64_t before_ms, int64_t limit) {
  return connection.Execute(
      "DELETE FROM trade_quotes WHERE (tenant, id) IN (SELECT tenant, id FROM trade_quotes WHERE "
      "created_at_ms < $1 AND expires_at_ms < $1 AND trade_id = '' LIMIT $2)",
      {before_ms, limit});
}

std::optional<Trade> TradeStore::FindTrade(store::Connection& connection, std::string_view tenant,
                                           std::string_view id, bool lock) {
  return FindOne(
      connection,
      Locked(connection, Select(kTradeColumns, "trades") + " WHERE tenant = $1 AND id = $2", lock),
      {tenant, id});
}

std::optional<Trade> TradeStore::FindTradeByIdempotencyKey(store::Connection& connection,
                                                           std::string_view tenant,
                                                           std::string_view key) {
  return FindOne(connection,
                 Select(kTradeColumns, "trades") + " WHERE tenant = $1 AND idempotency_key = $2",
                 {tenant, key});
}

void TradeStore::InsertTrade(store::Connection& connection, const Trade& t) {
  std::vector<store::Param> params = {
      std::string_view(t.tenant),      std::string_view(t.id),
      std::string_view(t.quote_id),    std::string_view(t.customer_id),
      std::string_view(t.from_asset),  std::string_view(t.to_asset),
      store::Int128{t.amount_in},      store::Int128{t.amount_out},
      store::Int128{t.fee_amount},     std::string_view(t.rate),
      store::Int128{t.usdt_equivalent}};
  AddDestination(params, &t.destination);
  AddDestination(params, t.refund_destination ? &*t.refund_destination : nullptr);
  params.insert(params.end(), {static_cast<int64_t>(t.status), std::string_view(t.charge_id),
                               std::string_view(t.payout_id), std::string_view(t.refund_payout_id),
                               std::string_view(t.reason), std::string_view(t.idempotency_key),
                               std::string_view(t.created_by), t.expires_at_ms, t.created_at_ms,
                               t.updated_at_ms});
  connection.Execute("INSERT INTO trades (" + std::string(kTradeColumns) + ") VALUES (" +
                         Placeholders(params.size()) + ")",
                     params);
}

void TradeStore::UpdateTrade(store::Connection& connection, const Trade& t) {
  connection.Execute(
      "UPDATE trades SET status = $3, charge_id = $4, payout_id = $5, refund_payout_id = $6, "
      "reason = $7, updated_at_ms = $8 WHERE tenant = $1 AND id = $2",
      {std::string_view(t.tenant), std::string_view(t.id), static_cast<int64_t>(t.status),
       std::string_view(t.charge_id), std::string_view(t.payout_id),
       std::string_view(t.refund_payout_id), std::string_view(t.reason), t.updated_at_ms});
}

void TradeStore::UpdateRefundDestination(store::Connection& connection, const Trade& t) {
  std::vector<store::Param> params = {std::string_view(t.tenant), std::string_view(t.id),
                                      std::string_view(t.reason), t.updated_at_ms};
  AddDestination(params, t.refund_destination ? &*t.refund_destination : nullptr);
  connection.Execute(
      "UPDATE trades SET reason = $3, updated_at_ms = $4, refund_kind = $5, refund_network = $6, "
      "refund_address = $7, refund_pix_key_kind = $8, refund_pix_key = $9, refund_bank = $10, "
      "refund_account = $11, refund_document = $12, refund_document_kind = $13 WHERE tenant = $1 "
      "AND id = $2",
      params);
}

void TradeStore::LockCustomer(store::Connection& connection, std::string_view tenant,
                              std::string_view customer_id) {
  if (connection.backend() != store::Backend::kPostgres) return;
  const std::string key = "cambista.trades:" + std::string(tenant) + ":" + std::string(customer_id);
  connection.Query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", {std::string_view(key)},
                   [](const store::Row&) {});
}

void TradeStore::AppendHistory(store::Connection& connection, const Trade& trade,
                               const TradeChange& change) {
  connection.Execute(
      "INSERT INTO trade_history (tenant, trade_id, seq, from_status, to_status, actor, reason, "
      "at_ms) VALUES ($1, $2, (SELECT COALESCE(MAX(seq), 0) + 1 FROM trade_history WHERE "
      "tenant = $1 AND trade_id = $2), $3, $4, $5, $6, $7)",
      {std::string_view(trade.tenant), std::string_view(trade.id),
       change.from ? store::Param(static_cast<int64_t>(*change.from)) : store::Null{},
       static_cast<int64_t>(change.to), std::string_view(change.actor),
       std::string_view(change.reason), change.at_ms});
}

std::vector<TradeChange> TradeStore::History(store::Connection& connection, std::string_view tenant,
                                             std::string_view id) {
  std::vector<TradeChange> history;
  connection.Query(
      "SELECT from_status, to_status, actor, reason, at_ms FROM trade_history WHERE tenant = $1 "
      "AND trade_id = $2 ORDER BY seq",
      {tenant, id}, [&](const store::Row& row) {
        TradeChange change;
        if (!row.IsNull(0)) change.from = static_cast<TradeStatus>(row.Int64(0));
        change.to = static_cast<TradeStatus>(row.Int64(1));
        change.actor = row.Text(2);
        change.reason = row.Text(3);
        change.at_ms = row.Int64(4);
        history.push_back(std::move(change));
      });
  return history;
}

std::vector<Trade> TradeStore::ListTrades(store::Connection& connection, std::string_view tenant,
                                          std::optional<std::string_view> customer_id,
                                          std::optional<TradeStatus> status,
                                          std::optional<std::string_view> before_id, int limit) {
  std::string sql = Select(kTradeColumns, "trades") + " WHERE tenant = $1";
  std::vector<store::Param> params = {tenant};
  if (customer_id) {
    params.emplace_back(*customer_id);
    sql += " AND customer_id = $" + std::to_string(params.size());
  }
  if (status) {
    params.emplace_back(static_cast<int64_t>(*status));
    sql += " AND status = $" + std::to_string(params.size());
  }
  if (before_id) {
    params.emplace_back(*before_id);
    sql += " AND id < $" + std::to_string(params.size());
  }
  params.emplace_back(static_cast<int64_t>(limit));
  sql += " ORDER BY id DESC LIMIT $" + std::to_string(params.size());
  std::vector<Trade> trades;
  connection.Query(sql, params, [&](const store::Row& row) { trades.push_back(ReadTrade(row)); });
  return trades;
}

std::vector<i128> TradeStore::UsdtEquivalentsSince(store::Connection& connection,
                                                   std::string_view tenant,
                                                   std::string_view customer_id, int64_t since_ms) {
  std::vector<i128> amounts;
  connection.Query(
      "SELECT usdt_equivalent FROM trades WHERE tenant = $1 AND customer_id = $2 AND "
      "created_at_ms >= $3 AND status NOT IN ($4, $5)",
      {tenant, customer_id, since_ms, static_cast<int64_t>(TradeStatus::kCancelled),
       static_cast<int64_t>(TradeStatus::kExpired)},
      [&](const store::Row& row) { amounts.push_back(row.Int128(0)); });
  return amounts;
}

std::vector<std::pair<std::string, std::string>> TradeStore::OverdueTrades(
    store::Connection& connection, int64_t now_ms, int limit) {
  std::vector<std::pair<std::string, std::string>> overdue;
  connection.Query(
      "SELECT tenant, id FROM trades WHERE status = $1 AND expires_at_ms < $2 AND charge_id = '' "
      "ORDER BY expires_at_ms LIMIT $3",
      {static_cast<int64_t>(TradeStatus::kAwaitingPayment), now_ms, static_cast<int64_t>(limit)},
      [&](const store::Row& row) {
        overdue.emplace_back(std::string(row.Text(0)), std::string(row.Text(1)));
      });
  return overdue;
}

}  // namespace cambista::trading
