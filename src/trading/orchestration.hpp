// What a trade does next, from the facts: its state, its charge's and its payouts'. Pure: the
// `trades.advance` job (TradeService::Advance) gathers the facts and carries the decision out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "payins/model.hpp"
#include "payouts/model.hpp"
#include "trading/model.hpp"

namespace cambista::trading {

struct TradeFacts {
  std::optional<payins::Charge> charge;
  std::optional<payouts::Payout> payout;
  std::optional<payouts::Payout> refund;
};

struct Decision {
  enum class Kind : uint8_t {
    kNothing,  // wait for a change
    kMove,     // to `to`, for `reason` (REFUND_PENDING from a paid state reverses the conversion)
    kConvert,  // the payment is proven: PAYMENT_CONFIRMED, conversion, payout, PAYOUT_PENDING
    kPay,      // PAYMENT_CONFIRMED whose payout could not be held before: try again
    kRefund,   // REFUND_PENDING with a destination and no refund payout: send it
  };
  Kind kind = Kind::kNothing;
  TradeStatus to = TradeStatus::kAwaitingPayment;
  std::string actor;  // "charge:<id>", "payout:<id>", "expiry"
  std::string reason;
};

Decision Decide(const Trade& trade, const TradeFacts& facts, int64_t now_ms);

}  // namespace cambista::trading
