// The pay-ins model: a charge, its states and the transitions allowed between them, and the values
// the charge service takes and gives. Names of states are parsed and printed only at the edges
// (JSON, SQL); inside, a state is a ChargeStatus.
//
//   CREATING -> PENDING | FAILED                        (the gateway made it, or none could)
//   PENDING  -> PAID | EXPIRED | FAILED | MANUAL_REVIEW (proven by the gateway)
//   EXPIRED, FAILED -> MANUAL_REVIEW                    (paid after all)
//   PENDING, EXPIRED, FAILED -> REFUNDED                (paid and refunded at the gateway before
//                                                        the payment was booked: nothing stays)
//   PAID     -> REFUNDED | MANUAL_REVIEW                (refunded at the gateway; the merchant's
//                                                        balance cannot cover the refund)
//   MANUAL_REVIEW  -> PAID | REFUND_PENDING | REFUNDED  (an operator resolves it)
//   REFUND_PENDING -> REFUNDED                          (the manual refund was made)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/amount.hpp"
#include "core/int128.hpp"
#include "payins/gateway.hpp"

namespace cambista::payins {

enum class ChargeStatus : uint8_t {
  kCreating,
  kPending,
  kPaid,
  kExpired,
  kFailed,
  kRefunded,
  kManualReview,
  kRefundPending,
};
std::string_view ChargeStatusName(ChargeStatus status);  // "MANUAL_REVIEW"
// Case-insensitive ("manual_review" too); nullopt for anything else.
std::optional<ChargeStatus> ParseChargeStatus(std::string_view name);
bool TransitionAllowed(ChargeStatus from, ChargeStatus to);
inline constexpr int kChargeStatusCount = 8;

// How the charge's last state was proven.
enum class Proof : uint8_t {
  kNone,        // not proven by anyone yet (CREATING, PENDING)
  kSignature,   // a webhook signed with the tenant's secret (BuhoPago)
  kGatewayApi,  // the gateway's status API, asked by us
  kToken,       // the per-charge callback token alone: the gateway has neither (WiinPay)
  kOperator,    // an operator's resolution, or our own clock (expiry)
};
std::string_view ProofName(Proof proof);  // "signature", "gateway_api", "token", "operator"
std::optional<Proof> ParseProof(std::string_view name);

// Why a charge waits for an operator.
enum class ReviewKind : uint8_t {
  kNone,
  kAmountMismatch,   // paid, another amount than the charge's
  kPaidAfterClose,   // paid after the charge expired or failed
  kRefundUncovered,  // refunded at the gateway, and the merchant's balance cannot cover it
};
std::string_view ReviewKindName(ReviewKind kind);  // "amount_mismatch", ...
std::optional<ReviewKind> ParseReviewKind(std::string_view name);

struct Charge {
  std::string id;  // "ch_" + 32 hex digits, time-ordered
  std::string tenant;
  std::string gateway;  // empty while CREATING
  std::string gateway_charge_id;
  std::string provider_hash;
  std::string reference;
  ChargeStatus status = ChargeStatus::kCreating;
  std::string currency;
  i128 amount = 0;                  // minor units of currency
  std::optional<i128> paid_amount;  // what the gateway proved was paid
  std::optional<i128> fee_amount;   // the gateway's fee, booked with the payment
  Proof proof = Proof::kNone;
  ReviewKind review_kind = ReviewKind::kNone;
  std::string description;
  std::string customer_json;  // {"name","document","email","phone"}
  std::string pix_code;
  std::string payment_instructions;
  int64_t expires_at_ms = 0;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
  std::optional<int64_t> paid_at_ms;
  std::string last_error;
  int64_t next_check_at_ms = 0;  // the expiry job looks at it again from then
  int check_failures = 0;        // gateway status checks that failed in a row
};

// The API's JSON of a charge (amounts as decimal strings in the currency's `scale`); also the
// `data` of charge.* events.
std::string ChargeJson(const Charge& charge, int scale);

// One line of a charge's history.
struct ChargeHistoryEntry {
  std::optional<ChargeStatus> from;
  ChargeStatus to = ChargeStatus::kCreating;
  std::string actor;
  std::string reason;
  int64_t at_ms = 0;
};

struct NewCharge {
  std::optional<std::string> gateway;  // absent: the tenant's gateways for the currency, in order
  Amount amount;
  std::string description;
  std::string reference;
  Customer customer;
  int64_t expires_in_seconds = 3600;
};

// What can go wrong with a charge, in the pay-ins' own terms. The HTTP side gives each its status
// and stable problem code in one table (payins/routes.cpp).
enum class ChargeErrorKind : uint8_t {
  kInvalidRequest,         // a field out of its rules
  kInvalidAmount,          // not a positive amount of the currency
  kAmountOutOfRange,       // outside what the gateways and the tenant take (minimum, maximum)
  kNotFound,               // no such charge (or another tenant's)
  kUnknownGateway,         // no gateway of that name
  kNoTenantGateway,        // the tenant has not set up that gateway
  kMissingCredential,      // a gateway's credentials lack one
  kInvalidCredential,      // a credential is malformed
  kGatewayNotConfigured,   // no gateway the tenant can use for this (currency, API URL)
  kGatewayRefused,         // every gateway refused the request itself
  kGatewayFailed,          // a gateway was unreachable or misbehaved
  kChargeCreating,         // a creation under this key is still under way
  kInvalidTransition,      // the charge's state does not allow it
  kInsufficientFunds,      // the merchant's balance cannot cover it
  kCredentialsUnreadable,  // stored credentials do not open with this master key
  kInternal,               // a bug or the database failing
};

struct ChargeError {
  ChargeError(ChargeErrorKind kind_in, std::string detail_in, std::string field_in = "")
      : kind(kind_in), detail(std::move(detail_in)), field(std::move(field_in)) {}

  ChargeErrorKind kind;
  std::string detail;  // for people
  std::string field;   // the offending field, if any
  // kAmountOutOfRange: the bounds that apply, as decimal strings ("3.00"); empty: unbounded.
  std::string minimum;
  std::string maximum;
};

// A tenant's own bounds for one gateway's charges, in minor units (nullopt: no bound of its own).
struct AmountBounds {
  std::optional<i128> minimum;
  std::optional<i128> maximum;
};

// The same as the API takes them: decimal strings in the gateway's currency ("5.00").
struct BoundsText {
  std::optional<std::string> minimum;
  std::optional<std::string> maximum;
};

struct GatewaySetting {
  std::string gateway;
  std::string currency;
  int64_t priority = 0;  // lower first
  std::string tenant_hint;
  int64_t updated_at_ms = 0;
  AmountBounds bounds;
  std::vector<std::string> credential_names;  // never the values
};

struct ChargeStatsRow {
  std::string gateway;
  std::string currency;
  int64_t created = 0;
  int64_t paid = 0;
  i128 volume_paid = 0;
  int64_t failures = 0;
  std::string last_error;
  std::optional<int64_t> last_error_at_ms;
};

// What an operator does with a charge in MANUAL_REVIEW (or REFUND_PENDING).
enum class Resolution : uint8_t {
  kAccept,    // book the amount received: PAID with paid_amount
  kRefund,    // return the money: through the gateway where it can, else REFUND_PENDING
  kRefunded,  // a manual refund was made (REFUND_PENDING -> REFUNDED)
};
std::optional<Resolution> ParseResolution(std::string_view name);  // "accept", "refund", ...

}  // namespace cambista::payins
