#include "trading/orchestration.hpp"

namespace cambista::trading {
namespace {

using payins::ChargeStatus;
using payouts::PayoutStatus;
using Kind = Decision::Kind;

Decision Move(TradeStatus to, std::string actor, std::string reason) {
  return Decision{Kind::kMove, to, std::move(actor), std::move(reason)};
}

bool PaidAsQuoted(const Trade& trade, const payins::Charge& charge) {
  return charge.status == ChargeStatus::kPaid &&
         charge.paid_amount.value_or(charge.amount) == trade.amount_in;
}

std::string ReviewReason(const payins::Charge& charge) {
  return "the charge is under review" +
         (charge.last_error.empty() ? std::string() : ": " + charge.last_error);
}

Decision AwaitingPayment(const Trade& trade, const TradeFacts& facts, int64_t now_ms) {
  if (!facts.charge) {
    if (now_ms <= trade.expires_at_ms) return {};
    return Move(TradeStatus::kExpired, "expiry", "no charge was made before the deadline");
  }
  const payins::Charge& charge = *facts.charge;
  const std::string actor = "charge:" + charge.id;
  switch (charge.status) {
    case ChargeStatus::kPaid:
      if (PaidAsQuoted(trade, charge)) return Decision{Kind::kConvert, {}, actor, "paid"};
      return Move(TradeStatus::kManualReview, actor, "paid another amount than quoted");
    case ChargeStatus::kManualReview:
      return Move(TradeStatus::kManualReview, actor, ReviewReason(charge));
    case ChargeStatus::kExpired:
    case ChargeStatus::kFailed:
      return Move(TradeStatus::kExpired, actor, "no payment before the deadline");
    case ChargeStatus::kRefundPending:
    case ChargeStatus::kRefunded:
      return Move(TradeStatus::kManualReview, actor, "the charge was refunded before payment");
    default:
      return {};
  }
}

bool Failed(PayoutStatus status) {
  return status == PayoutStatus::kFailed || status == PayoutStatus::kCancelled ||
         status == PayoutStatus::kRejected;
}

// A payout's review resolved by an operator (POST /v1/payouts/{id}/resolve): confirmed, the trade
// is complete (or, for its refund, refunded); failed, the trade is refunded (a refund that failed
// waits for the operator).
Decision PayoutReviewed(const Trade& trade, const TradeFacts& facts) {
  if (!trade.refund_payout_id.empty()) {
    if (facts.refund && facts.refund->status == PayoutStatus::kConfirmed) {
      return Move(TradeStatus::kRefunded, "payout:" + facts.refund->id, "refunded on review");
    }
    return {};
  }
  if (!facts.payout) return {};
  const std::string actor = "payout:" + facts.payout->id;
  if (facts.payout->status == PayoutStatus::kConfirmed) {
    return Move(TradeStatus::kCompleted, actor, "paid out, confirmed on review");
  }
  if (Failed(facts.payout->status)) {
    return Move(TradeStatus::kRefundPending, actor, "the payout failed on review");
  }
  return {};
}

// An operator resolved the charge's review: accepted at the quoted amount (the charge's proof is
// the operator's), the trade goes on; refunded, it ends. A charge PAID on the gateway's word alone
// moves no trade out of review. Once the trade has a payout, the payout's review decides.
Decision InReview(const Trade& trade, const TradeFacts& facts) {
  if (!trade.payout_id.empty()) return PayoutReviewed(trade, facts);
  if (!facts.charge) return {};
  const payins::Charge& charge = *facts.charge;
  const std::string actor = "charge:" + charge.id;
  if (PaidAsQuoted(trade, charge) && charge.proof == payins::Proof::kOperator) {
    return Decision{Kind::kConvert, {}, actor, "payment accepted"};
  }
  if (charge.status == ChargeStatus::kRefunded) {
    return Move(TradeStatus::kRefunded, actor, "the payment was refunded from review");
  }
  return {};
}

Decision PayoutPending(const TradeFacts& facts) {
  if (!facts.payout) return {};
  const payouts::Payout& payout = *facts.payout;
  const std::string actor = "payout:" + payout.id;
  if (payout.status == PayoutStatus::kConfirmed) {
    return Move(TradeStatus::kCompleted, actor, "paid out");
  }
  if (Failed(payout.status)) {
    return Move(TradeStatus::kRefundPending, actor,
                "the payout failed" +
                    (payout.failure_reason.empty() ? std::string() : ": " + payout.failure_reason));
  }
  if (payout.status == PayoutStatus::kManualReview) {
    return Move(TradeStatus::kManualReview, actor, "the payout is under review");
  }
  return {};
}

Decision RefundPending(const Trade& trade, const TradeFacts& facts) {
  if (!facts.refund) {
    if (trade.refund_payout_id.empty() && trade.refund_destination) {
      return Decision{Kind::kRefund, {}, "trading", "refund"};
    }
    return {};
  }
  const payouts::Payout& refund = *facts.refund;
  const std::string actor = "payout:" + refund.id;
  if (refund.status == PayoutStatus::kConfirmed) {
    return Move(TradeStatus::kRefunded, actor, "refunded");
  }
  if (Failed(refund.status) || refund.status == PayoutStatus::kManualReview) {
    return Move(TradeStatus::kManualReview, actor, "the refund payout did not go through");
  }
  return {};
}

}  // namespace

Decision Decide(const Trade& trade, const TradeFacts& facts, int64_t now_ms) {
  switch (trade.status) {
    case TradeStatus::kAwaitingPayment:
      return AwaitingPayment(trade, facts, now_ms);
    case TradeStatus::kExpired:
      if (facts.charge && (facts.charge->status == ChargeStatus::kManualReview ||
                           facts.charge->status == ChargeStatus::kPaid)) {
        return Move(TradeStatus::kManualReview, "charge:" + facts.charge->id,
                    "paid after the trade expired");
      }
      return {};
    case TradeStatus::kManualReview:
      return InReview(trade, facts);
    case TradeStatus::kPaymentConfirmed:
      return Decision{Decision::Kind::kPay, {}, "trading", "payout"};
    case TradeStatus::kPayoutPending:
      return PayoutPending(facts);
    case TradeStatus::kRefundPending:
      return RefundPending(trade, facts);
    default:
      return {};
  }
}

}  // namespace cambista::trading
