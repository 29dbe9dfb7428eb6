// The trading model: quotes, trades, their states and the transitions allowed between them. Names
// of states are parsed and printed only at the edges (JSON, SQL); inside, a state is a TradeStatus.
//
//   AWAITING_PAYMENT -> PAYMENT_CONFIRMED             (its charge is PAID, of the quoted amount)
//   PAYMENT_CONFIRMED -> PAYOUT_PENDING               (the conversion is booked, the payout held)
//   PAYOUT_PENDING -> COMPLETED                       (the payout is CONFIRMED at its provider)
//   PAYOUT_PENDING -> REFUND_PENDING                  (the payout failed for good)
//   PAYMENT_CONFIRMED -> REFUND_PENDING               (no provider can send the payout)
//   REFUND_PENDING -> REFUNDED                        (the refund payout is CONFIRMED, or the
//                                                      charge was refunded at the gateway)
//   AWAITING_PAYMENT -> EXPIRED                       (no payment by the deadline: its charge
//                                                      expired or failed at the gateway)
//   AWAITING_PAYMENT -> CANCELLED                     (the customer, before payment; or no
//                                                      gateway could create its charge)
//   AWAITING_PAYMENT, EXPIRED, PAYOUT_PENDING,
//   REFUND_PENDING -> MANUAL_REVIEW                   (another amount, paid after expiry, a
//                                                      payout or refund an operator must look at)
//   MANUAL_REVIEW -> PAYMENT_CONFIRMED                (the charge's review accepted the payment
//                                                      of the quoted amount: the trade goes on)
//   MANUAL_REVIEW -> REFUNDED                         (the charge's review refunded it, or the
//                                                      refund payout's review confirmed it)
//   MANUAL_REVIEW -> COMPLETED | REFUND_PENDING       (the payout's review: confirmed, or failed)
//
// A trade's money moves only on proof: its charge's state (payins, which proves payments) and its
// payout's (payouts, which proves sends). Every change is a row of its history (actor, reason),
// written in the transaction of its ledger transfers, its payout and its `trade.*` event.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/int128.hpp"
#include "payouts/destination.hpp"

namespace cambista::trading {

enum class TradeStatus : uint8_t {
  kAwaitingPayment,
  kPaymentConfirmed,
  kPayoutPending,
  kCompleted,
  kExpired,
  kCancelled,
  kRefundPending,
  kRefunded,
  kManualReview,
};
inline constexpr int kTradeStatusCount = 9;

std::string_view TradeStatusName(TradeStatus status);  // "AWAITING_PAYMENT"
// Case-insensitive; nullopt for anything else.
std::optional<TradeStatus> ParseTradeStatus(std::string_view name);
bool TransitionAllowed(TradeStatus from, TradeStatus to);
// COMPLETED, CANCELLED and REFUNDED: nothing moves a trade on from there. (EXPIRED may still go to
// MANUAL_REVIEW: a payment that arrives late.)
bool IsFinal(TradeStatus status);
// The `trade.*` event of a state: "trade.completed".
std::string EventTypeOf(TradeStatus status);

// Which amount of a quote the customer fixed.
enum class AmountSide : uint8_t { kSpend, kReceive };

// What the desk charges on a trade, in the asset the customer pays with.
struct Fee {
  std::string kind;  // "spread", "network"
  std::string asset;
  i128 amount = 0;  // minor units
};

// A price offered for a short time: the customer pays amount_in of from_asset and receives
// amount_out of to_asset. Used once, by the trade made from it.
struct Quote {
  std::string id;  // "qt_" + 32 hex digits
  std::string tenant;
  std::string customer_id;  // empty: any customer of the tenant may take it
  std::string from_asset;
  std::string to_asset;
  std::string network;  // of the crypto side ("TRON", ...); empty for fiat out
  AmountSide side = AmountSide::kSpend;
  i128 amount_in = 0;       // minor units of from_asset, fees included
  i128 amount_out = 0;      // minor units of to_asset
  std::string rate;         // the reference price used: units of the pair's quote per one base unit
  std::string rate_pair;    // "USDT/BRL"
  std::string rate_source;  // where the reference came from
  int64_t spread_bps = 0;
  std::vector<Fee> fees;
  i128 usdt_equivalent = 0;  // minor units of USDT: what counts against daily limits
  int64_t created_at_ms = 0;
  int64_t expires_at_ms = 0;
  std::string trade_id;  // the trade that used it; empty while unused
};

i128 FeeTotal(const Quote& quote);

// A customer's trade, from a quote: pay-in through a charge, conversion at the quote's rate,
// payout.
struct Trade {
  std::string id;  // "tr_" + 32 hex digits
  std::string tenant;
  std::string quote_id;
  std::string customer_id;
  std::string from_asset;
  std::string to_asset;
  i128 amount_in = 0;
  i128 amount_out = 0;
  i128 fee_amount = 0;  // of from_asset: the desk's fees (spread + network)
  std::string rate;
  i128 usdt_equivalent = 0;
  payouts::Destination destination;                        // where amount_out goes
  std::optional<payouts::Destination> refund_destination;  // where amount_in goes back if need be
  TradeStatus status = TradeStatus::kAwaitingPayment;
  std::string charge_id;
  std::string payout_id;
  std::string refund_payout_id;
  std::string reason;  // why it is where it is (MANUAL_REVIEW, REFUND_PENDING, ...)
  std::string idempotency_key;
  std::string created_by;     // the API key's prefix
  int64_t expires_at_ms = 0;  // the payment's deadline
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
};

// One change of a trade's state, for its history.
struct TradeChange {
  std::optional<TradeStatus> from;  // nullopt for the creation
  TradeStatus to = TradeStatus::kAwaitingPayment;
  std::string actor;  // "api:<key>", "charge:<id>", "payout:<id>", "expiry"
  std::string reason;
  int64_t at_ms = 0;
};

// What can go wrong, in the trades' own terms. The HTTP side gives each its status and stable
// problem code in one table (trading/routes.cpp).
enum class TradeErrorKind : uint8_t {
  kInvalidRequest,      // a field out of its rules
  kUnsupportedPair,     // the desk does not trade this pair (or not yet this way)
  kRateUnavailable,     // no reference price fresh enough to quote
  kAmountOutOfRange,    // below the pair's minimum or above its maximum
  kLimitExceeded,       // above the customer's daily limit for its KYC level
  kNotFound,            // no such quote, trade or customer (or another tenant's)
  kQuoteExpired,        // the quote's time is over
  kQuoteUsed,           // a trade was made from the quote already
  kInvalidDestination,  // the destination fails its network's or kind's rules
  kInvalidTransition,   // the trade's state does not allow it
  kGatewayRefused,      // no gateway would create the charge for this request
  kGatewayFailed,       // the gateways were unreachable or misbehaved
  kInternal,            // a bug or the database failing
};

struct TradeError {
  TradeError(TradeErrorKind kind_in, std::string detail_in, std::string field_in = "")
      : kind(kind_in), detail(std::move(detail_in)), field(std::move(field_in)) {}

  TradeErrorKind kind;
  std::string detail;  // for people
  std::string field;   // the offending field, if any
};

}  // namespace cambista::trading
