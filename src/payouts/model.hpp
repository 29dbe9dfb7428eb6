// The payouts model: a payout, its states and the transitions allowed between them. Names of states
// are parsed and printed only at the edges (JSON, SQL); inside, a state is a PayoutStatus.
//
//   REQUESTED -> AWAITING_APPROVAL                  (above the asset's approval threshold)
//   AWAITING_APPROVAL -> REQUESTED | REJECTED       (a second key approves, or rejects)
//   REQUESTED -> SUBMITTED | UNKNOWN | FAILED       (the provider took it, its answer was lost, or
//                                                    it refused the request itself)
//   REQUESTED, AWAITING_APPROVAL -> CANCELLED       (before anything was sent)
//   SUBMITTED -> CONFIRMED | FAILED | CANCELLED     (final at the provider; cancelled there where
//                                                    the provider allows it)
//   UNKNOWN -> SUBMITTED | CONFIRMED | FAILED | MANUAL_REVIEW
//                                                   (resolved only by asking the provider by our
//                                                    id, never by sending again; unresolved for
//                                                    too long: an operator looks)
//   MANUAL_REVIEW -> CONFIRMED | FAILED              (an operator resolves it)
//
// A payout reaches its provider at most once: the provider-side id is fixed before the first call
// and stored with the change to REQUESTED's successor, in one transaction. The money is held by a
// pending ledger transfer from creation; CONFIRMED posts it, FAILED, CANCELLED and REJECTED void
// it, each in the transaction of its state change.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace cambista::payouts {

enum class PayoutStatus : uint8_t {
  kRequested,
  kAwaitingApproval,
  kSubmitted,
  kConfirmed,
  kFailed,
  kCancelled,
  kRejected,
  kUnknown,
  kManualReview,
};
inline constexpr int kPayoutStatusCount = 9;

std::string_view PayoutStatusName(PayoutStatus status);  // "AWAITING_APPROVAL"
// Case-insensitive ("awaiting_approval" too); nullopt for anything else.
std::optional<PayoutStatus> ParsePayoutStatus(std::string_view name);
bool TransitionAllowed(PayoutStatus from, PayoutStatus to);
// CONFIRMED, FAILED, CANCELLED and REJECTED: nothing moves a payout on from there.
bool IsFinal(PayoutStatus status);

// Where a payout comes from (the API's `origin`).
enum class PayoutOrigin : uint8_t { kManual, kScheduled, kBonus, kTrade };
std::string_view PayoutOriginName(PayoutOrigin origin);  // "manual", ...
std::optional<PayoutOrigin> ParsePayoutOrigin(std::string_view name);

// What can go wrong with a payout, in the payouts' own terms. The HTTP side gives each its status
// and stable problem code in one table (payouts/routes.cpp).
enum class PayoutErrorKind : uint8_t {
  kInvalidRequest,      // a field out of its rules
  kInvalidAmount,       // not a positive amount of the asset, or above the bounds
  kInvalidDestination,  // the destination fails its network's or kind's rules
  kNotFound,            // no such payout, customer or destination (or another tenant's)
  kUnknownProvider,     // no provider of that name, or none for the asset and destination
  kInsufficientFunds,   // the payer's account cannot cover it: nothing is sent
  kInvalidTransition,   // the payout's state does not allow it
  kApprovalRefused,     // the approver is the creator, lacks the scope, or the TOTP is wrong
  kProviderRefused,     // the provider refused the request itself
  kProviderFailed,      // the provider was unreachable or misbehaved
  kInternal,            // a bug or the database failing
};

struct PayoutError {
  PayoutError(PayoutErrorKind kind_in, std::string detail_in, std::string field_in = "")
      : kind(kind_in), detail(std::move(detail_in)), field(std::move(field_in)) {}

  PayoutErrorKind kind;
  std::string detail;  // for people
  std::string field;   // the offending field, if any
};

}  // namespace cambista::payouts
