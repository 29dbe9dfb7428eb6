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
//   SUBMITTED, UNKNOWN -> MANUAL_REVIEW             (paid there, another amount than ours: an
//                                                    operator looks, the money stays held)
//   UNKNOWN -> SUBMITTED | CONFIRMED | FAILED | CANCELLED | MANUAL_REVIEW
//                                                   (resolved only by asking the provider by our
//                                                    id, never by sending again, to whatever it
//                                                    says, cancelled there too; unresolved for too
//                                                    long: an operator looks)
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

#include "core/int128.hpp"
#include "payouts/destination.hpp"

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

// Where a payout comes from (the API's `origin`). Stored as its number: never renumber. `sweep` is
// the treasury's own (payouts/treasury_sweeps.hpp): a client cannot ask for one.
// `refund` is trading's: a trade's money going back to its customer.
enum class PayoutOrigin : uint8_t { kManual, kScheduled, kBonus, kTrade, kSweep, kRefund };
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
  kConflict,            // the same reference was used for something else
  kInternal,            // a bug or the database failing
};

struct PayoutError {
  PayoutError(PayoutErrorKind kind_in, std::string detail_in, std::string field_in = "",
              std::string reason_in = "")
      : kind(kind_in),
        detail(std::move(detail_in)),
        field(std::move(field_in)),
        reason(std::move(reason_in)) {}

  PayoutErrorKind kind;
  std::string detail;  // for people
  std::string field;   // the offending field, if any
  std::string reason;  // a stable sub-code (a destination's "checksum_mismatch"), if any
};

// One of the desk's own customers. The id is the desk's (a bot may use its chat id); it names the
// customer's ledger accounts ("customer:<tenant>:<id>:USDT").
struct Customer {
  std::string tenant;
  std::string id;
  std::string name;
  std::string document;
  int kyc_level = 0;  // 0 (none) to kKycLevelMax: the desk's own scale
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
};
inline constexpr int kKycLevelMax = 9;
inline constexpr size_t kCustomerIdCharsMax = 64;
// 1 to kCustomerIdCharsMax of [A-Za-z0-9_.-] (no ':', which separates the parts of account names).
bool IsValidCustomerId(std::string_view id);

// A destination saved for a customer, to be named by id in later payouts.
struct SavedDestination {
  std::string id;  // "dst_" + 32 hex digits
  std::string tenant;
  std::string customer_id;
  Destination destination;
  int64_t created_at_ms = 0;
};
// The destination's normal form as one text, the same for the same place: a customer saving the
// same destination twice gets the first back.
std::string DestinationFingerprint(const Destination& destination);

// A payout as stored. `provider_reference` is fixed when the payout is made (the provider-side
// idempotency key: Heleket's order_id), before any call, and never changes.
struct Payout {
  std::string id;  // "po_" + 32 hex digits
  std::string tenant;
  std::string customer_id;
  std::string provider;  // "heleket"
  std::string asset;
  i128 amount = 0;  // minor units of `asset`
  Destination destination;
  PayoutOrigin origin = PayoutOrigin::kManual;
  std::string reference;           // the caller's
  std::string provider_reference;  // ours, at the provider: the id's 32 hex digits
  std::string provider_id;         // the provider's own id, once it answered
  PayoutStatus status = PayoutStatus::kRequested;
  std::string txid;
  std::optional<i128> commission;  // what the provider charged, from its answer
  std::string failure_reason;
  std::string created_by;  // the API key's prefix
  std::string idempotency_key;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
  int64_t unknown_since_ms = 0;  // when its last provider answer was lost; 0 otherwise
};

// One change of a payout's state, for its history.
struct PayoutChange {
  std::optional<PayoutStatus> from;  // nullopt for the creation
  PayoutStatus to = PayoutStatus::kRequested;
  std::string actor;  // "api:<key>", "provider:<name>", "resolve", "operator:<key>"
  std::string reason;
  int64_t at_ms = 0;
};

// A treasury sweep's payout moves money between two of the desk's own accounts: from the
// provider's clearing account (where the pay-ins it collected were booked) to this treasury place
// ("treasury:<tenant>:bank:VES"), the bank account the provider credits.
inline constexpr std::string_view kSweepTreasuryPlace = "bank";

// What a treasury sweep came to in its window (payouts/treasury_sweeps.hpp). Stable numbers:
// stored; never change or reuse one.
enum class SweepOutcome : uint8_t {
  kBelowMinimum = 1,  // the provider's capacity is below the minimum withdrawal
  kLedgerShort = 2,   // the provider has enough, but the books show less there than the minimum
  kCredited = 3,      // one credit was made in the window: `payout_id`
};
std::string_view SweepOutcomeName(SweepOutcome outcome);  // "below_minimum", ...

// One provider's capacity in one window of the sweep, and what was done with it: one row per
// provider, asset and window (the constraint that makes one credit per window). The figures are
// the last reading in the window.
struct TreasurySweep {
  std::string id;  // "sw_" + 32 hex digits
  std::string tenant;
  std::string provider;
  std::string asset;
  int64_t window_start_ms = 0;  // the window: [start, start + interval)
  i128 available = 0;           // the provider's volume_available, minor units
  std::optional<i128> processed_total;
  std::optional<i128> credited_total;
  i128 ledger_available = 0;  // the provider's clearing account on the tenant's books
  SweepOutcome outcome = SweepOutcome::kBelowMinimum;
  std::string payout_id;  // the window's credit; empty before one
  i128 amount = 0;        // what it credits; 0 before one
  bool alerted = false;   // treasury.capacity_alert emitted in this window
  int64_t checks = 0;     // capacity readings in this window
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
  std::optional<PayoutStatus> payout_status;  // read with the row, never stored in it
};

// Money that arrived outside the system, recorded by an operator on a chart account.
struct Deposit {
  std::string id;  // "dep_" + 32 hex digits
  std::string tenant;
  std::string account;  // the chart account's name ("customer:acme:c1:USDT")
  std::string asset;
  i128 amount = 0;  // minor units of `asset`
  std::string reference;
  std::string actor;  // the API key's prefix
  int64_t created_at_ms = 0;
};

}  // namespace cambista::payouts
