// Trading's logic, without HTTP or SQL (trading/routes.cpp and trading/store.cpp hold those):
// quotes, trades, and the orchestration that carries a trade from its pay-in to its payout.
//
// Quotes. A quote prices a pair (trading/pricing_terms.hpp) on the pricing module's reference rate
// for its market, which is live or its last good value within max_age; with neither, 503
// rate_unavailable: there is no default price. It checks the pair's minimum and maximum and, when
// it names a customer, the customer's daily limit; it lives quote_ttl_ms.
//
// Trades. A trade takes an unexpired, unused quote (410 quote_expired, 409 quote_used), a customer
// of the tenant and a destination that a payout provider serves for the quote's asset, and checks
// the customer's daily limit again, in the transaction that marks the quote used: the sum of the
// USDT equivalents of its trades of the last 24 hours (neither CANCELLED nor EXPIRED) with this
// one, against the limit of its KYC level. Then the charge is created at the tenant's gateways for
// the currency (payins), under the key "trade:<id>", so a retry finds it; no gateway taking it
// cancels the trade. Pay-ins on chain (crypto -> fiat) are 422 unsupported_pair for now.
//
// Orchestration. Nothing moves on the request thread: a change of a trade's charge or of one of
// its payouts enqueues a `trades.advance` job in the transaction of that change, and the job
// (Advance) looks at the facts and takes the next step, each in one transaction with its history,
// ledger transfers, payout and `trade.*` event:
//   - charge PAID of the quoted amount: PAYMENT_CONFIRMED, the conversion booked as one linked
//     batch (below), the payout held (origin trade), PAYOUT_PENDING, and the payout sent at once;
//   - charge of another amount or paid after expiry (MANUAL_REVIEW in payins): MANUAL_REVIEW; the
//     charge's resolution goes on (accepted with the quoted amount) or ends it (refunded);
//   - charge EXPIRED or FAILED: EXPIRED (the `trades.expire` job ends trades left without one);
//   - payout CONFIRMED: COMPLETED; FAILED, CANCELLED or REJECTED: REFUND_PENDING, the conversion
//     reversed, then a refund payout of amount_in to the refund destination (given with the trade
//     or later by POST /v1/trades/{id}/refund); its confirmation: REFUNDED.
//
// The conversion, in the tenant's books (accounting/chart.hpp), FROM the paid asset, TO the bought:
//   provider_fees:<gateway>:FROM -> merchant:FROM   the gateway's fee: the desk's cost, not the
//                                                   merchant's (the charge took it from merchant)
//   merchant:FROM -> customer:<id>:FROM             the payment is the customer's
//   customer:<id>:FROM -> fx:FROM                   amount_in - fees, converted at the quote's rate
//   customer:<id>:FROM -> fees:trade:FROM           the desk's spread and network fee
//   fx:TO -> customer:<id>:TO                       amount_out
// and the payout holds customer:<id>:TO. Transfer ids derive from the trade id, so a step run
// twice finds its transfers.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "accounting/chart.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "ledger/ledger.hpp"
#include "payins/charge_service.hpp"
#include "payouts/service.hpp"
#include "store/connection_pool.hpp"
#include "trading/model.hpp"
#include "trading/orchestration.hpp"
#include "trading/pricing_terms.hpp"

namespace cambista::trading {

// The reference rate of a market ("USDT/BRL"); kRateUnavailable or kUnsupportedPair otherwise.
using RateLookup = std::function<Result<MarketRate, TradeErrorKind>(std::string_view market)>;

struct TradingOptions {
  std::map<std::string, PairTerms, std::less<>> pairs;  // by "BRL->USDT"
  int64_t quote_ttl_ms = 60'000;
  int64_t payment_window_ms = 15 * 60'000;  // a trade's charge expires this long after creation
  // Per KYC level (0 to 9), the most USDT (minor units) a customer trades in 24 hours; nullopt: no
  // limit.
  std::array<std::optional<i128>, payouts::kKycLevelMax + 1> daily_limits{};
  int event_attempts_max = 8;
  std::function<void()> wake_jobs;  // after a commit that enqueued an advance job
};

struct QuoteRequest {
  std::string from_asset;
  std::string to_asset;
  std::optional<std::string> network;
  std::string amount;  // decimal text, of from_asset (spend) or to_asset (receive)
  AmountSide side = AmountSide::kSpend;
  std::optional<std::string> customer;
};

struct TradeRequest {
  std::string quote_id;
  std::string customer;
  std::optional<payouts::DestinationInput> destination;  // or
  std::optional<std::string> destination_id;
  std::optional<payouts::DestinationInput> refund_destination;
};

struct MadeTrade {
  Trade trade;
  bool created = false;
};

// A trade with its charge, as the API shows it.
struct TradeView {
  Trade trade;
  std::optional<payins::Charge> charge;
};

inline constexpr std::string_view kAdvanceJobKind = "trades.advance";
inline constexpr std::string_view kExpireJobKind = "trades.expire";
inline constexpr int64_t kDayMs = 24 * 3'600'000;

class TradeService {
 public:
  TradeService(store::Database& database, ledger::Ledger& ledger, accounting::Chart& chart,
               const AssetRegistry& assets, const Clock& clock, payins::ChargeService& charges,
               payouts::PayoutService& payouts, RateLookup rates, TradingOptions options);

  Result<Quote, TradeError> CreateQuote(std::string_view tenant, const QuoteRequest& request);
  Result<Quote, TradeError> GetQuote(std::string_view tenant, std::string_view id);

  Result<MadeTrade, TradeError> CreateTrade(std::string_view tenant, std::string_view actor,
                                            std::string_view idempotency_key,
                                            const TradeRequest& request);
  Result<TradeView, TradeError> GetTrade(std::string_view tenant, std::string_view id);
  std::vector<Trade> ListTrades(std::string_view tenant, std::optional<std::string_view> customer,
                                std::optional<TradeStatus> status,
                                std::optional<std::string_view> before_id, int limit);
  std::optional<std::vector<TradeChange>> History(std::string_view tenant, std::string_view id);
  // Before payment only: CANCELLED, and its charge closed (EXPIRED here, left to expire at the
  // gateway) in the same transaction, so that a payment that still arrives goes to review with the
  // charge, its money in suspense. A charge already proven paid (the trade's job has not run yet)
  // is kInvalidTransition.
  Result<Trade, TradeError> Cancel(std::string_view tenant, std::string_view id,
                                   std::string_view actor);
  // REFUND_PENDING without a refund destination: gives it one, and the refund goes out.
  Result<Trade, TradeError> SetRefundDestination(std::string_view tenant, std::string_view id,
                                                 const payouts::DestinationInput& destination,
                                                 std::string_view actor);

  // The `trades.advance` job (payload: tenant '\n' trade id ['\n' charge id]): the next step, if
  // any. A job for a charge the trade has not recorded yet (the change came before the trade's
  // own commit) waits for it.
  payouts::JobStep Advance(std::string_view payload);
  // One batch of the `trades.expire` job: AWAITING_PAYMENT trades past their deadline (at most
  // `limit`) are looked at (Advance); returns how many it found.
  int ExpireDue(int limit);

  // The observers of the charges and payouts (module.cpp wires them): inside the change's
  // transaction, a `trades.advance` job when the charge or payout is a trade's.
  void ChargeChanged(store::Connection& tx, const payins::Charge& charge);
  void PayoutChanged(store::Connection& tx, const payouts::Payout& payout);

  const TradingOptions& options() const { return options_; }

 private:
  Result<const PairTerms*, TradeError> Terms(std::string_view from, std::string_view to) const;
  Result<i128, TradeError> UsdtEquivalent(const Quote& quote);
  // nullopt: within the limit.
  std::optional<TradeError> CheckDailyLimit(store::Connection& connection, std::string_view tenant,
                                            const payouts::Customer& customer, i128 adding);
  std::optional<TradeError> CheckQuote(const Quote& quote, std::string_view customer) const;
  Result<payouts::Destination, TradeError> CheckDestination(std::string_view tenant,
                                                            const TradeRequest& request,
                                                            const Quote& quote);
  Result<Trade, TradeError> InsertTrade(Trade trade, const payouts::Customer& customer);
  Result<MadeTrade, TradeError> AttachCharge(Trade trade, const payouts::Customer& customer);
  void CancelForCharge(const Trade& trade, std::string_view why);

  // Orchestration (orchestration.cpp).
  TradeFacts Gather(const Trade& trade);
  payouts::JobStep ConvertAndPay(const Trade& trade, const payins::Charge& charge,
                                 const Decision& decision);
  // Holds and sends the trade's payout (or, `refund`, its refund payout) from PAYMENT_CONFIRMED
  // (or REFUND_PENDING).
  payouts::JobStep PayOut(const Trade& trade, bool refund);
  payouts::JobStep Move(const Trade& trade, const Decision& decision);
  // The payment proven, in the caller's transaction on the locked trade: PAYMENT_CONFIRMED and the
  // conversion. False when the ledger refused it.
  bool ConfirmPayment(store::Connection& tx, Trade& trade, const payins::Charge& charge,
                      const Decision& decision);
  // In the caller's transaction, on the locked trade: the state, its history and its event.
  void Transition(store::Connection& tx, Trade& trade, TradeStatus to, std::string_view actor,
                  std::string reason);
  void EnsureAccounts(const Trade& trade, std::string_view gateway);
  bool BookConversion(store::Connection& tx, const Trade& trade, const payins::Charge& charge);
  bool BookReversal(store::Connection& tx, const Trade& trade);
  payouts::NewPayout PayoutRequest(const Trade& trade, bool refund) const;
  // The job's payload: tenant '\n' trade id ['\n' the changed charge's id].
  void EnqueueAdvance(store::Connection& tx, std::string_view tenant, std::string_view trade_id,
                      std::string_view charge_id = "");

  store::ConnectionPool pool_;
  ledger::Ledger& ledger_;
  accounting::Chart& chart_;
  const AssetRegistry& assets_;
  const Clock& clock_;
  payins::ChargeService& charges_;
  payouts::PayoutService& payouts_;
  RateLookup rates_;
  TradingOptions options_;
};

}  // namespace cambista::trading
