// ChargeService: what a proven status does to a charge, and how the change is written: ledger
// transfers, state, history, counters and event in the caller's transaction. Also the expiry job,
// the closing of a charge nobody should pay any more, and an operator's resolution of a charge
// under review.
#include <algorithm>
#include <stdexcept>

#include "core/assert.hpp"
#include "events/event_outbox.hpp"
#include "payins/charge_service.hpp"
#include "payins/store.hpp"
#include "security/hmac.hpp"

namespace cambista::payins {
namespace {

// Ledger transfer codes of the pay-ins; stored with every transfer: never change or reuse one.
constexpr uint32_t kTransferChargePaid = 1101;      // clearing -> merchant
constexpr uint32_t kTransferChargeRefunded = 1102;  // merchant -> clearing
constexpr uint32_t kTransferGatewayFee = 1103;      // merchant -> clearing: what the gateway kept
constexpr uint32_t kTransferToSuspense = 1104;      // clearing -> suspense: payment under review
constexpr uint32_t kTransferSuspenseRefund = 1105;  // suspense -> clearing: refunded from review
constexpr uint32_t kTransferSuspenseAccept = 1106;  // suspense -> merchant: accepted on review

// A ledger booking the rules refused (a balance that cannot cover it).
class BookingRefused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Transfer ids derived from the charge and the booking: booking the same thing twice finds the
// first (the ledger answers "exists"), so nothing is ever counted twice.
u128 TransferId(std::string_view charge_id, Booking booking, int leg) {
  const std::string digest =
      Sha256("cambista.charge_transfer:" + std::string(charge_id) + ":" +
             std::to_string(static_cast<int>(booking)) + ":" + std::to_string(leg));
  u128 id = 0;
  for (int i = 0; i < 16; ++i) id = (id << 8) | static_cast<unsigned char>(digest[i]);
  id >>= 1;
  return id == 0 ? 1 : id;
}

// The charge id's 32 hex digits, kept on its transfers (user_data_128) to trace them back.
u128 ChargeTag(std::string_view charge_id) {
  return charge_id.size() == 35 ? ParseHex128(charge_id.substr(3)).value_or(0) : 0;
}

std::string_view EventTypeFor(ChargeStatus status) {
  switch (status) {
    case ChargeStatus::kPaid:
      return "charge.paid";
    case ChargeStatus::kExpired:
      return "charge.expired";
    case ChargeStatus::kFailed:
      return "charge.failed";
    case ChargeStatus::kRefunded:
      return "charge.refunded";
    case ChargeStatus::kManualReview:
      return "charge.manual_review";
    case ChargeStatus::kRefundPending:
      return "charge.refund_pending";
    case ChargeStatus::kCreating:
    case ChargeStatus::kPending:
      return "";
  }
  return "";
}

bool IsOpen(ChargeStatus status) {
  return status == ChargeStatus::kCreating || status == ChargeStatus::kPending;
}

// Money that a review holds in the suspense account (not a refund the merchant could not cover).
bool HoldsSuspense(const Charge& charge) {
  return (charge.status == ChargeStatus::kManualReview &&
          charge.review_kind != ReviewKind::kRefundUncovered) ||
         charge.status == ChargeStatus::kRefundPending;
}

// What a refund at the gateway takes back from the merchant: what the payment left it (the amount
// paid less the fee booked with it), so that the refund reverses the payment, its fee included.
i128 RefundedNet(const Charge& charge) {
  return charge.paid_amount.value_or(charge.amount) - charge.fee_amount.value_or(0);
}

// What a refund at the gateway does to the charge (`paid`: the payment, as the gateway says):
// reverses a payment booked to the merchant or held in suspense; nothing to book when the payment
// never was.
std::optional<ChargeChange> RefundedAtGateway(const Charge& charge, i128 paid) {
  if (charge.status == ChargeStatus::kPaid) {
    const i128 net = RefundedNet(charge);
    return ChargeChange{.to = ChargeStatus::kRefunded,
                        .reason = "refunded at the gateway",
                        .booking = net > 0 ? Booking::kRefundFromMerchant : Booking::kNone,
                        .amount = net};
  }
  if (HoldsSuspense(charge)) {
    return ChargeChange{.to = ChargeStatus::kRefunded,
                        .reason = "refunded at the gateway",
                        .booking = Booking::kRefundFromSuspense,
                        .amount = charge.paid_amount.value_or(charge.amount)};
  }
  if (charge.status == ChargeStatus::kPending || charge.status == ChargeStatus::kExpired ||
      charge.status == ChargeStatus::kFailed) {
    // Paid and refunded before the payment was booked here: nothing stays to book, and the
    // charge still says what was paid.
    return ChargeChange{.to = ChargeStatus::kRefunded,
                        .reason = "paid and refunded at the gateway before it was booked",
                        .paid_amount = paid};
  }
  return std::nullopt;
}

}  // namespace

using Change = ChargeChange;

i128 ChargeService::FeeFor(std::string_view gateway, i128 amount) const {
  auto it = options_.fees.find(gateway);
  return payins::FeeFor(it != options_.fees.end() ? it->second : DefaultFeeSchedule(gateway),
                        amount);
}

int64_t ChargeService::CheckBackoff(int failures) const {
  int64_t delay = options_.check_backoff_base_ms;
  for (int i = 1; i < failures && delay < options_.check_backoff_max_ms; ++i) delay *= 2;
  return std::min(delay, options_.check_backoff_max_ms);
}

std::optional<ChargeChange> ChargeService::Decide(const Charge& charge, GatewayStatus status,
                                                  std::optional<i128> amount,
                                                  std::optional<i128> fee, Proof proof) const {
  const i128 paid = amount.value_or(charge.amount);
  const auto decide = [&]() -> std::optional<Change> {
    switch (status) {
      case GatewayStatus::kPending:
        return std::nullopt;
      case GatewayStatus::kPaid:
        if (paid <= 0) return std::nullopt;  // a payment of nothing is no payment
        if (IsOpen(charge.status) && paid != charge.amount) {
          return Change{.to = ChargeStatus::kManualReview,
                        .reason = "paid another amount than the charge's",
                        .booking = Booking::kPaymentToSuspense,
                        .amount = paid,
                        .paid_amount = paid,
                        .review = ReviewKind::kAmountMismatch};
        }
        if (IsOpen(charge.status)) {
          const i128 gateway_fee =
              std::clamp<i128>(fee.value_or(FeeFor(charge.gateway, paid)), 0, paid);
          return Change{.to = ChargeStatus::kPaid,
                        .reason = "paid",
                        .booking = Booking::kPaymentToMerchant,
                        .amount = paid,
                        .paid_amount = paid,
                        .fee = gateway_fee};
        }
        if (charge.status == ChargeStatus::kExpired || charge.status == ChargeStatus::kFailed) {
          return Change{
              .to = ChargeStatus::kManualReview,
              .reason = "paid after the charge was " + std::string(ChargeStatusName(charge.status)),
              .booking = Booking::kPaymentToSuspense,
              .amount = paid,
              .paid_amount = paid,
              .review = ReviewKind::kPaidAfterClose};
        }
        return std::nullopt;
      case GatewayStatus::kExpired:
      case GatewayStatus::kFailed: {
        if (!IsOpen(charge.status)) return std::nullopt;
        const bool expired = status == GatewayStatus::kExpired;
        return Change{.to = expired ? ChargeStatus::kExpired : ChargeStatus::kFailed,
                      .reason = expired ? "expired at the gateway" : "failed at the gateway"};
      }
      case GatewayStatus::kRefunded:
        return RefundedAtGateway(charge, paid);
    }
    return std::nullopt;
  };
  std::optional<Change> change = decide();
  if (change) change->proof = proof;
  return change;
}

bool ChargeService::Book(store::Connection& tx, const Charge& charge, const Change& change) {
  const u128 clearing =
      accounting::GatewayClearingAccount(charge.tenant, charge.gateway, charge.currency).Id();
  const u128 merchant = accounting::MerchantAccount(charge.tenant, charge.currency).Id();
  const u128 suspense = accounting::SuspenseAccount(charge.tenant, charge.currency).Id();
  std::vector<ledger::Transfer> transfers;
  const auto add = [&](u128 debit, u128 credit, i128 amount, uint32_t code) {
    ledger::Transfer transfer;
    transfer.id = TransferId(charge.id, change.booking, static_cast<int>(transfers.size()));
    transfer.debit_account_id = debit;
    transfer.credit_account_id = credit;
    transfer.amount = static_cast<u128>(amount);
    transfer.asset = charge.currency;
    transfer.code = code;
    transfer.user_data_128 = ChargeTag(charge.id);
    if (!transfers.empty()) transfers.back().flags |= ledger::TransferFlags::kLinked;
    transfers.push_back(transfer);
  };
  if (change.booking == Booking::kNone) return true;
  CAMBISTA_CHECK(change.amount > 0 && change.fee >= 0 && change.fee <= change.amount);
  switch (change.booking) {
    case Booking::kNone:
      break;
    case Booking::kPaymentToMerchant:
      add(clearing, merchant, change.amount, kTransferChargePaid);
      break;
    case Booking::kPaymentToSuspense:
      add(clearing, suspense, change.amount, kTransferToSuspense);
      break;
    case Booking::kRefundFromMerchant:
      add(merchant, clearing, change.amount, kTransferChargeRefunded);
      break;
    case Booking::kRefundFromSuspense:
      add(suspense, clearing, change.amount, kTransferSuspenseRefund);
      break;
    case Booking::kAcceptFromSuspense:
      add(suspense, merchant, change.amount, kTransferSuspenseAccept);
      break;
    case Booking::kRefundAccepted:
      add(merchant, clearing, change.amount, kTransferChargeRefunded);
      break;
  }
  if (change.fee > 0) add(merchant, clearing, change.fee, kTransferGatewayFee);
  const auto results = ledger_.SubmitInTransaction(tx, transfers);
  return std::all_of(results.begin(), results.end(),
                     [](ledger::CreateTransferResult result) { return ledger::IsSuccess(result); });
}

Charge ChargeService::Apply(store::Connection& tx, const Charge& charge, Change change,
                            std::string_view actor, std::string_view detail) {
  CAMBISTA_CHECK(TransitionAllowed(charge.status, change.to));
  if (!Book(tx, charge, change)) {
    if (change.booking != Booking::kRefundFromMerchant || charge.status != ChargeStatus::kPaid) {
      throw BookingRefused("the ledger refused the booking of charge " + charge.id);
    }
    // The gateway took the money back, and the merchant's balance cannot cover it: an operator
    // decides (credit the merchant, then accept the refund).
    change = Change{.to = ChargeStatus::kManualReview,
                    .reason = "refunded at the gateway, and the merchant's balance cannot cover it",
                    .proof = change.proof,
                    .review = ReviewKind::kRefundUncovered};
  }
  const int64_t now_ms = clock_.NowMs();
  Charge after = charge;
  after.status = change.to;
  if (change.paid_amount) after.paid_amount = change.paid_amount;
  if (change.booking == Booking::kPaymentToMerchant ||
      change.booking == Booking::kAcceptFromSuspense) {
    after.fee_amount = change.fee;
  }
  if (change.paid_amount && !after.paid_at_ms) after.paid_at_ms = now_ms;
  if (change.proof != Proof::kNone) after.proof = change.proof;
  after.review_kind = change.review;
  after.last_error = change.to == ChargeStatus::kManualReview ? change.reason : "";
  after.updated_at_ms = now_ms;
  ChargeStore::UpdateState(tx, after);
  ChargeStore::AppendHistory(
      tx, charge.id, charge.status, change.to, actor,
      detail.empty() ? change.reason : change.reason + " (" + std::string(detail) + ")", now_ms);
  if (change.to == ChargeStatus::kPaid) {
    ChargeStore::BumpStats(tx, charge.tenant, charge.gateway, charge.currency, 0, 1,
                           after.paid_amount.value_or(charge.amount), std::nullopt, now_ms);
  } else if (change.to == ChargeStatus::kRefunded &&
             (charge.status == ChargeStatus::kPaid ||
              charge.review_kind == ReviewKind::kRefundUncovered)) {
    // The volume paid counted the payment when it went to the merchant; the refund takes it out.
    ChargeStore::BumpStats(tx, charge.tenant, charge.gateway, charge.currency, 0, 0,
                           -charge.paid_amount.value_or(charge.amount), std::nullopt, now_ms);
  }
  if (const std::string_view type = EventTypeFor(change.to); !type.empty()) {
    auto asset = assets_.Find(charge.currency);
    events::EmitEvent(tx, clock_,
                      events::NewEvent{charge.tenant, std::string(type), "charges",
                                       ChargeJson(after, asset.ok() ? asset.value().scale() : 2)},
                      options_.event_delivery_attempts_max);
  }
  if (observer_.changed) observer_.changed(tx, after);
  return after;
}

int ChargeService::ExpireDue(int limit) {
  auto connection = pool_.Acquire();
  const int64_t now_ms = clock_.NowMs();
  const auto due = ChargeStore::DueForExpiry(*connection, now_ms, limit);
  for (const Charge& charge : due) {
    GatewayStatus status = GatewayStatus::kExpired;
    std::optional<i128> amount;
    std::optional<i128> fee;
    Proof proof = Proof::kOperator;  // our clock, unless the gateway says otherwise
    auto adapter = Adapter(*connection, charge.tenant, charge.gateway);
    if (adapter.ok() && adapter.value()->Describe().can_fetch_status) {
      auto report = lanes_.Call<StatusReport>(charge.tenant, charge.gateway, [&] {
        return adapter.value()->FetchStatus(charge.gateway_charge_id);
      });
      if (!report.ok() && report.error().kind != GatewayError::Kind::kRejected) {
        // The gateway cannot say now: ask again later, after the charges behind this one.
        const int failures = charge.check_failures + 1;
        ChargeStore::ScheduleCheck(*connection, charge.id, now_ms + CheckBackoff(failures),
                                   failures);
        continue;
      }
      if (report.ok() && report.value().status != GatewayStatus::kPending) {
        status = report.value().status;
        if (report.value().amount) amount = report.value().amount->minor();
        if (report.value().fee) fee = report.value().fee->minor();
        proof = Proof::kGatewayApi;
      }
    }
    EnsureAccounts(charge.tenant, charge.gateway, charge.currency);
    store::Transaction tx(*connection, store::TransactionMode::kWrite);
    auto locked = ChargeStore::Find(*connection, charge.id, true);
    if (!locked || locked->status != ChargeStatus::kPending) continue;
    auto change = Decide(*locked, status, amount, fee, proof);
    if (!change) continue;
    if (proof == Proof::kOperator) change->reason = "expired";
    Apply(*connection, *locked, std::move(*change), "expiry", "");
    tx.Commit();
    Committed();
  }
  return static_cast<int>(due.size());
}

std::optional<Charge> ChargeService::CloseInTransaction(store::Connection& tx,
                                                        std::string_view tenant,
                                                        std::string_view id, std::string_view actor,
                                                        std::string_view reason) {
  auto charge = ChargeStore::Find(tx, id, true);
  if (!charge || charge->tenant != tenant) return std::nullopt;
  if (charge->status != ChargeStatus::kPending) return charge;
  return Apply(
      tx, *charge,
      Change{
          .to = ChargeStatus::kExpired, .reason = std::string(reason), .proof = Proof::kOperator},
      actor, "");
}

Result<Charge, ChargeError> ChargeService::Resolve(std::string_view tenant, std::string_view id,
                                                   Resolution action, std::string_view reason,
                                                   std::string_view actor) {
  auto connection = pool_.Acquire();
  auto charge = ChargeStore::FindOwned(*connection, tenant, id);
  if (!charge) return Failure(ChargeError{ChargeErrorKind::kNotFound, "No such charge.", ""});
  EnsureAccounts(tenant, charge->gateway, charge->currency);
  store::Transaction tx(*connection, store::TransactionMode::kWrite);
  charge = ChargeStore::Find(*connection, id, true);
  const i128 received = charge->paid_amount.value_or(charge->amount);
  std::optional<Change> change;
  if (action == Resolution::kAccept && charge->status == ChargeStatus::kManualReview) {
    change = charge->review_kind == ReviewKind::kRefundUncovered
                 ? Change{.to = ChargeStatus::kRefunded,
                          .booking =
                              RefundedNet(*charge) > 0 ? Booking::kRefundAccepted : Booking::kNone,
                          .amount = RefundedNet(*charge)}
                 : Change{.to = ChargeStatus::kPaid,
                          .booking = Booking::kAcceptFromSuspense,
                          .amount = received,
                          .paid_amount = received,
                          .fee = FeeFor(charge->gateway, received)};
  } else if (action == Resolution::kRefund && HoldsSuspense(*charge) &&
             charge->status == ChargeStatus::kManualReview) {
    // None of our gateways has a refund API: the operator refunds by hand and says so later.
    change = Change{.to = ChargeStatus::kRefundPending};
  } else if (action == Resolution::kRefunded && charge->status == ChargeStatus::kRefundPending) {
    change = Change{
        .to = ChargeStatus::kRefunded, .booking = Booking::kRefundFromSuspense, .amount = received};
  }
  if (!change) {
    return Failure(
        ChargeError{ChargeErrorKind::kInvalidTransition,
                    "A charge in " + std::string(ChargeStatusName(charge->status)) +
                        (charge->review_kind == ReviewKind::kNone
                             ? ""
                             : " (" + std::string(ReviewKindName(charge->review_kind)) + ")") +
                        " cannot be resolved that way.",
                    "action"});
  }
  change->reason = std::string(reason);
  change->proof = Proof::kOperator;
  try {
    Charge after =
        Apply(*connection, *charge, std::move(*change), "operator:" + std::string(actor), "");
    tx.Commit();
    Committed();
    return after;
  } catch (const BookingRefused&) {
    return Failure(ChargeError{ChargeErrorKind::kInsufficientFunds,
                               "The merchant's balance cannot cover the refund; credit the "
                               "merchant's account first.",
                               ""});
  }
}

}  // namespace cambista::payins
