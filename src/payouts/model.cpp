#include "payouts/model.hpp"

#include <array>

#include "core/enum_names.hpp"

namespace cambista::payouts {
namespace {

constexpr std::array<std::string_view, kPayoutStatusCount> kStatusNames = {
    "REQUESTED", "AWAITING_APPROVAL", "SUBMITTED", "CONFIRMED",    "FAILED",
    "CANCELLED", "REJECTED",          "UNKNOWN",   "MANUAL_REVIEW"};

constexpr std::array<std::string_view, 4> kOriginNames = {"manual", "scheduled", "bonus", "trade"};

using S = PayoutStatus;
// Every transition a payout may make; anything else is a bug (CAMBISTA_CHECK where applied).
constexpr std::pair<PayoutStatus, PayoutStatus> kTransitions[] = {
    {S::kRequested, S::kAwaitingApproval}, {S::kAwaitingApproval, S::kRequested},
    {S::kAwaitingApproval, S::kRejected},  {S::kAwaitingApproval, S::kCancelled},
    {S::kRequested, S::kSubmitted},        {S::kRequested, S::kUnknown},
    {S::kRequested, S::kFailed},           {S::kRequested, S::kCancelled},
    {S::kSubmitted, S::kConfirmed},        {S::kSubmitted, S::kFailed},
    {S::kSubmitted, S::kCancelled},        {S::kUnknown, S::kSubmitted},
    {S::kUnknown, S::kConfirmed},          {S::kUnknown, S::kFailed},
    {S::kUnknown, S::kManualReview},       {S::kManualReview, S::kConfirmed},
    {S::kManualReview, S::kFailed},
};

}  // namespace

std::string_view PayoutStatusName(PayoutStatus status) {
  return kStatusNames[static_cast<size_t>(status)];
}

std::optional<PayoutStatus> ParsePayoutStatus(std::string_view name) {
  return ParseEnumName<PayoutStatus>(kStatusNames, name);
}

bool TransitionAllowed(PayoutStatus from, PayoutStatus to) {
  for (const auto& [allowed_from, allowed_to] : kTransitions) {
    if (allowed_from == from && allowed_to == to) return true;
  }
  return false;
}

bool IsFinal(PayoutStatus status) {
  return status == S::kConfirmed || status == S::kFailed || status == S::kCancelled ||
         status == S::kRejected;
}

std::string_view PayoutOriginName(PayoutOrigin origin) {
  return kOriginNames[static_cast<size_t>(origin)];
}

std::optional<PayoutOrigin> ParsePayoutOrigin(std::string_view name) {
  return ParseEnumName<PayoutOrigin>(kOriginNames, name, NameCase::kExact);  // an API field
}

}  // namespace cambista::payouts
