// Every SQL statement of the trading module, on both backends: quotes, trades and their history.
// Each function runs on a Connection the caller owns, in whatever transaction the caller has open;
// every read by id is scoped to a tenant.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "store/database.hpp"
#include "trading/model.hpp"

namespace cambista::trading {

class TradeStore {
 public:
  // --- quotes
  static void InsertQuote(store::Connection& connection, const Quote& quote);
  static std::optional<Quote> FindQuote(store::Connection& connection, std::string_view tenant,
                                        std::string_view id);
  // Marks an unused quote used by `trade_id`; false when a trade took it already.
  static bool UseQuote(store::Connection& connection, std::string_view tenant, std::string_view id,
                       std::string_view trade_id);
  // Deletes at most `limit` quotes that expired before `before_ms` and were never used.
  static int64_t PurgeQuotes(store::Connection& connection, int64_t before_ms, int64_t limit);

  // --- trades
  // `lock`: take the row's lock on PostgreSQL (SQLite's write transaction holds the database's).
  static std::optional<Trade> FindTrade(store::Connection& connection, std::string_view tenant,
                                        std::string_view id, bool lock);
  static std::optional<Trade> FindTradeByIdempotencyKey(store::Connection& connection,
                                                        std::string_view tenant,
                                                        std::string_view key);
  // A constraint error when the idempotency key or the quote is taken.
  static void InsertTrade(store::Connection& connection, const Trade& trade);
  // Writes status, charge, payouts, reason and updated_at_ms.
  static void UpdateTrade(store::Connection& connection, const Trade& trade);
  // Writes the refund destination (with reason and updated_at_ms).
  static void UpdateRefundDestination(store::Connection& connection, const Trade& trade);
  // Serializes the trades of one customer (their daily limit) until the transaction ends: an
  // advisory lock on PostgreSQL; SQLite's write transaction holds the database's.
  static void LockCustomer(store::Connection& connection, std::string_view tenant,
                           std::string_view customer_id);
  static void AppendHistory(store::Connection& connection, const Trade& trade,
                            const TradeChange& change);
  static std::vector<TradeChange> History(store::Connection& connection, std::string_view tenant,
                                          std::string_view id);
  // Newest first, before `before_id` (ids grow with time), at most `limit`.
  static std::vector<Trade> ListTrades(store::Connection& connection, std::string_view tenant,
                                       std::optional<std::string_view> customer_id,
                                       std::optional<TradeStatus> status,
                                       std::optional<std::string_view> before_id, int limit);
  // The USDT equivalents of the customer's trades created since `since_ms` that still count
  // (neither CANCELLED nor EXPIRED): what its daily limit has used.
  static std::vector<i128> UsdtEquivalentsSince(store::Connection& connection,
                                                std::string_view tenant,
                                                std::string_view customer_id, int64_t since_ms);
  // AWAITING_PAYMENT trades (any tenant) left without a charge (a crash between the trade and its
  // charge) whose deadline passed before `now_ms`, at most `limit`: (tenant, id). A trade with a
  // charge ends with its charge.
  static std::vector<std::pair<std::string, std::string>> OverdueTrades(
      store::Connection& connection, int64_t now_ms, int limit);
};

}  // namespace cambista::trading
