// What a trade does next (trading/orchestration.hpp), for each state and each fact that moves it.
#include "trading/orchestration.hpp"

#include <gtest/gtest.h>

namespace cambista::trading {
namespace {

using Kind = Decision::Kind;
using payins::ChargeStatus;
using payouts::PayoutStatus;

constexpr int64_t kNow = 1'000'000;

Trade TradeIn(TradeStatus status) {
  Trade trade;
  trade.id = "tr_1";
  trade.status = status;
  trade.amount_in = 10'000;
  trade.charge_id = "ch_1";
  trade.expires_at_ms = kNow + 1;
  return trade;
}

payins::Charge ChargeIn(ChargeStatus status, std::optional<i128> paid = std::nullopt) {
  payins::Charge charge;
  charge.id = "ch_1";
  charge.status = status;
  charge.amount = 10'000;
  charge.paid_amount = paid;
  return charge;
}

payouts::Payout PayoutIn(PayoutStatus status) {
  payouts::Payout payout;
  payout.id = "po_1";
  payout.status = status;
  return payout;
}

TradeFacts F(std::optional<payins::Charge> charge = std::nullopt,
             std::optional<payouts::Payout> payout = std::nullopt,
             std::optional<payouts::Payout> refund = std::nullopt) {
  return TradeFacts{std::move(charge), std::move(payout), std::move(refund)};
}

TEST(TradeDecide, APaymentOfTheQuotedAmountConvertsAnyOtherGoesToReview) {
  const Trade trade = TradeIn(TradeStatus::kAwaitingPayment);
  EXPECT_EQ(Decide(trade, F(ChargeIn(ChargeStatus::kPaid, 10'000)), kNow).kind, Kind::kConvert);
  const Decision other = Decide(trade, F(ChargeIn(ChargeStatus::kPaid, 9'999)), kNow);
  EXPECT_EQ(other.kind, Kind::kMove);
  EXPECT_EQ(other.to, TradeStatus::kManualReview);
  EXPECT_EQ(other.actor, "charge:ch_1");
  const Decision review = Decide(trade, F(ChargeIn(ChargeStatus::kManualReview)), kNow);
  EXPECT_EQ(review.to, TradeStatus::kManualReview);
  EXPECT_EQ(Decide(trade, F(ChargeIn(ChargeStatus::kPending)), kNow).kind, Kind::kNothing);
}

TEST(TradeDecide, AnExpiredOrFailedChargeExpiresTheTrade) {
  const Trade trade = TradeIn(TradeStatus::kAwaitingPayment);
  for (ChargeStatus status : {ChargeStatus::kExpired, ChargeStatus::kFailed}) {
    const Decision decision = Decide(trade, F(ChargeIn(status)), kNow);
    EXPECT_EQ(decision.kind, Kind::kMove);
    EXPECT_EQ(decision.to, TradeStatus::kExpired);
  }
}

TEST(TradeDecide, ATradeWithoutAChargeExpiresOnlyAfterItsDeadline) {
  Trade trade = TradeIn(TradeStatus::kAwaitingPayment);
  trade.charge_id.clear();
  EXPECT_EQ(Decide(trade, F(), kNow).kind, Kind::kNothing);
  const Decision late = Decide(trade, F(), kNow + 2);
  EXPECT_EQ(late.to, TradeStatus::kExpired);
  EXPECT_EQ(late.actor, "expiry");
}

TEST(TradeDecide, APaymentAfterExpiryGoesToReview) {
  const Trade trade = TradeIn(TradeStatus::kExpired);
  EXPECT_EQ(Decide(trade, F(ChargeIn(ChargeStatus::kManualReview)), kNow).to,
            TradeStatus::kManualReview);
  EXPECT_EQ(Decide(trade, F(ChargeIn(ChargeStatus::kExpired)), kNow).kind, Kind::kNothing);
}

TEST(TradeDecide, TheChargesResolutionContinuesOrRefundsTheTrade) {
  const Trade trade = TradeIn(TradeStatus::kManualReview);
  payins::Charge accepted = ChargeIn(ChargeStatus::kPaid, 10'000);
  accepted.proof = payins::Proof::kOperator;
  EXPECT_EQ(Decide(trade, F(accepted), kNow).kind, Kind::kConvert);
  // Paid on the gateway's word while the trade is under review (it expired first): an operator.
  payins::Charge gateway_paid = accepted;
  gateway_paid.proof = payins::Proof::kGatewayApi;
  EXPECT_EQ(Decide(trade, F(gateway_paid), kNow).kind, Kind::kNothing);
  accepted.paid_amount = 12'000;
  EXPECT_EQ(Decide(trade, F(accepted), kNow).kind, Kind::kNothing);
  EXPECT_EQ(Decide(trade, F(ChargeIn(ChargeStatus::kRefunded)), kNow).to, TradeStatus::kRefunded);
  Trade reviewed_payout = trade;
  reviewed_payout.payout_id = "po_1";  // a payout's review waits for an operator
  EXPECT_EQ(Decide(reviewed_payout, F(ChargeIn(ChargeStatus::kPaid, 10'000)), kNow).kind,
            Kind::kNothing);
}

TEST(TradeDecide, ThePayoutsEndEndsTheTrade) {
  const Trade trade = TradeIn(TradeStatus::kPayoutPending);
  const payins::Charge paid = ChargeIn(ChargeStatus::kPaid, 10'000);
  EXPECT_EQ(Decide(trade, F(paid, PayoutIn(PayoutStatus::kConfirmed)), kNow).to,
            TradeStatus::kCompleted);
  for (PayoutStatus failed :
       {PayoutStatus::kFailed, PayoutStatus::kCancelled, PayoutStatus::kRejected}) {
    const Decision decision = Decide(trade, F(paid, PayoutIn(failed)), kNow);
    EXPECT_EQ(decision.to, TradeStatus::kRefundPending);
    EXPECT_EQ(decision.actor, "payout:po_1");
  }
  EXPECT_EQ(Decide(trade, F(paid, PayoutIn(PayoutStatus::kManualReview)), kNow).to,
            TradeStatus::kManualReview);
  EXPECT_EQ(Decide(trade, F(paid, PayoutIn(PayoutStatus::kSubmitted)), kNow).kind, Kind::kNothing);
}

TEST(TradeDecide, ARefundGoesOutOnceItHasADestinationAndEndsWithItsPayout) {
  Trade trade = TradeIn(TradeStatus::kRefundPending);
  EXPECT_EQ(Decide(trade, F(), kNow).kind, Kind::kNothing);  // no destination yet
  trade.refund_destination = payouts::Destination{};
  EXPECT_EQ(Decide(trade, F(), kNow).kind, Kind::kRefund);
  trade.refund_payout_id = "po_2";
  TradeFacts facts = F();
  facts.refund = PayoutIn(PayoutStatus::kConfirmed);
  EXPECT_EQ(Decide(trade, facts, kNow).to, TradeStatus::kRefunded);
  facts.refund = PayoutIn(PayoutStatus::kFailed);
  EXPECT_EQ(Decide(trade, facts, kNow).to, TradeStatus::kManualReview);
}

TEST(TradeDecide, EveryMoveItDecidesIsAnAllowedTransition) {
  for (int from = 0; from < kTradeStatusCount; ++from) {
    Trade trade = TradeIn(static_cast<TradeStatus>(from));
    trade.refund_destination = payouts::Destination{};
    for (int charge = 0; charge <= static_cast<int>(ChargeStatus::kRefundPending); ++charge) {
      for (int payout = 0; payout < payouts::kPayoutStatusCount; ++payout) {
        const TradeFacts facts{ChargeIn(static_cast<ChargeStatus>(charge), 10'000),
                               PayoutIn(static_cast<PayoutStatus>(payout)),
                               PayoutIn(static_cast<PayoutStatus>(payout))};
        const Decision decision = Decide(trade, facts, kNow + 10);
        if (decision.kind == Kind::kMove) {
          EXPECT_TRUE(TransitionAllowed(trade.status, decision.to))
              << TradeStatusName(trade.status) << " -> " << TradeStatusName(decision.to);
        }
      }
    }
  }
}

TEST(TradeDecide, APayoutsReviewDecidesATradeUnderReview) {
  Trade trade = TradeIn(TradeStatus::kManualReview);
  trade.payout_id = "po_1";
  const payins::Charge paid = ChargeIn(ChargeStatus::kPaid, 10'000);
  EXPECT_EQ(Decide(trade, F(paid, PayoutIn(PayoutStatus::kManualReview)), kNow).kind,
            Kind::kNothing);
  EXPECT_EQ(Decide(trade, F(paid, PayoutIn(PayoutStatus::kConfirmed)), kNow).to,
            TradeStatus::kCompleted);
  EXPECT_EQ(Decide(trade, F(paid, PayoutIn(PayoutStatus::kFailed)), kNow).to,
            TradeStatus::kRefundPending);
  trade.refund_payout_id = "po_2";
  EXPECT_EQ(
      Decide(trade, F(paid, PayoutIn(PayoutStatus::kFailed), PayoutIn(PayoutStatus::kConfirmed)),
             kNow)
          .to,
      TradeStatus::kRefunded);
}

TEST(TradeModel, NamesAndEvents) {
  EXPECT_EQ(ParseTradeStatus("awaiting_payment"), TradeStatus::kAwaitingPayment);
  EXPECT_EQ(EventTypeOf(TradeStatus::kRefundPending), "trade.refund_pending");
  EXPECT_TRUE(IsFinal(TradeStatus::kRefunded));
  EXPECT_FALSE(IsFinal(TradeStatus::kExpired));  // a late payment still moves it to review
}

}  // namespace
}  // namespace cambista::trading
