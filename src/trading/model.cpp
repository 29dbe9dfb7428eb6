#include "trading/model.hpp"

#include <array>

#include "core/ascii.hpp"
#include "core/enum_names.hpp"

namespace cambista::trading {
namespace {

constexpr std::array<std::string_view, kTradeStatusCount> kStatusNames = {
    "AWAITING_PAYMENT", "PAYMENT_CONFIRMED", "PAYOUT_PENDING", "COMPLETED",    "EXPIRED",
    "CANCELLED",        "REFUND_PENDING",    "REFUNDED",       "MANUAL_REVIEW"};

using S = TradeStatus;
// Every transition a trade may make; anything else is a bug (CAMBISTA_CHECK where applied).
constexpr std::pair<TradeStatus, TradeStatus> kTransitions[] = {
    {S::kAwaitingPayment, S::kPaymentConfirmed}, {S::kPaymentConfirmed, S::kPayoutPending},
    {S::kPayoutPending, S::kCompleted},          {S::kPayoutPending, S::kRefundPending},
    {S::kPaymentConfirmed, S::kRefundPending},   {S::kRefundPending, S::kRefunded},
    {S::kAwaitingPayment, S::kExpired},          {S::kAwaitingPayment, S::kCancelled},
    {S::kAwaitingPayment, S::kManualReview},     {S::kExpired, S::kManualReview},
    {S::kPayoutPending, S::kManualReview},       {S::kRefundPending, S::kManualReview},
    {S::kManualReview, S::kPaymentConfirmed},    {S::kManualReview, S::kRefunded},
    {S::kManualReview, S::kCompleted},           {S::kManualReview, S::kRefundPending},
};

}  // namespace

std::string_view TradeStatusName(TradeStatus status) {
  return kStatusNames[static_cast<size_t>(status)];
}

std::optional<TradeStatus> ParseTradeStatus(std::string_view name) {
  return ParseEnumName<TradeStatus>(kStatusNames, name);
}

bool TransitionAllowed(TradeStatus from, TradeStatus to) {
  for (const auto& [allowed_from, allowed_to] : kTransitions) {
    if (allowed_from == from && allowed_to == to) return true;
  }
  return false;
}

bool IsFinal(TradeStatus status) {
  return status == S::kCompleted || status == S::kCancelled || status == S::kRefunded;
}

std::string EventTypeOf(TradeStatus status) {
  std::string type = "trade.";
  for (const char c : TradeStatusName(status)) type += AsciiLower(c);
  return type;
}

i128 FeeTotal(const Quote& quote) {
  i128 total = 0;
  for (const Fee& fee : quote.fees) total += fee.amount;
  return total;
}

}  // namespace cambista::trading
