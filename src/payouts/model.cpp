#include "payouts/model.hpp"

#include <array>

#include "core/enum_names.hpp"

namespace cambista::payouts {
namespace {

constexpr std::array<std::string_view, kPayoutStatusCount> kStatusNames = {
    "REQUESTED", "AWAITING_APPROVAL", "SUBMITTED", "CONFIRMED",    "FAILED",
    "CANCELLED", "REJECTED",          "UNKNOWN",   "MANUAL_REVIEW"};

constexpr std::array<std::string_view, 6> kOriginNames = {"manual", "scheduled", "bonus",
                                                          "trade",  "sweep",     "refund"};

using S = PayoutStatus;
// Every transition a payout may make; anything else is a bug (CAMBISTA_CHECK where applied).
constexpr std::pair<PayoutStatus, PayoutStatus> kTransitions[] = {
    {S::kRequested, S::kAwaitingApproval},
    {S::kAwaitingApproval, S::kRequested},
    {S::kAwaitingApproval, S::kRejected},
    {S::kAwaitingApproval, S::kCancelled},
    {S::kRequested, S::kSubmitted},
    {S::kRequested, S::kUnknown},
    {S::kRequested, S::kFailed},
    {S::kRequested, S::kCancelled},
    {S::kSubmitted, S::kConfirmed},
    {S::kSubmitted, S::kFailed},
    {S::kSubmitted, S::kCancelled},
    {S::kSubmitted, S::kManualReview},
    {S::kUnknown, S::kSubmitted},
    {S::kUnknown, S::kConfirmed},
    {S::kUnknown, S::kFailed},
    {S::kUnknown, S::kCancelled},
    {S::kUnknown, S::kManualReview},
    {S::kManualReview, S::kConfirmed},
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

std::string_view SweepOutcomeName(SweepOutcome outcome) {
  switch (outcome) {
    case SweepOutcome::kBelowMinimum:
      return "below_minimum";
    case SweepOutcome::kLedgerShort:
      return "ledger_short";
    case SweepOutcome::kCredited:
      return "credited";
  }
  return "below_minimum";
}

bool IsValidCustomerId(std::string_view id) {
  if (id.empty() || id.size() > kCustomerIdCharsMax) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string DestinationFingerprint(const Destination& d) {
  const std::string kind(DestinationKindName(d.kind));
  switch (d.kind) {
    case DestinationKind::kCryptoAddress:
      return kind + "|" + std::string(NetworkName(d.network)) + "|" + d.address;
    case DestinationKind::kPixKey:
      return kind + "|" + d.key;
    case DestinationKind::kVesBank:
      return kind + "|" + d.bank + "|" + d.account + "|" + d.document;
  }
  return kind;
}

}  // namespace cambista::payouts
