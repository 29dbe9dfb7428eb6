// PayoutService: the payouts themselves (creation with its hold, sending once, tracking, callbacks,
// cancellation). Customers, destinations and deposits are in service.cpp.
#include <algorithm>

#include "core/ascii.hpp"
#include "events/event_outbox.hpp"
#include "jobs/job_table.hpp"
#include "ledger/ids.hpp"
#include "payouts/service.hpp"
#include "payouts/store.hpp"
#include "security/hmac.hpp"

namespace cambista::payouts {
namespace {

using accounting::AccountKind;
using accounting::AccountRef;

// Ledger codes of the payouts' transfers (the kind of movement; accounts carry their own codes).
constexpr uint32_t kHoldCode = 600;
constexpr uint32_t kCommissionCode = 601;
constexpr int64_t kTrackIntervalMaxMs = 600'000;
// A submitted payout at a provider that signs its callbacks is asked about after this much quiet.
constexpr int64_t kSubmittedQuietMs = 60'000;

// Transfer ids derived from the payout and the booking: booking it twice finds the first.
u128 PayoutTransferId(std::string_view payout_id, std::string_view booking) {
  const std::string digest =
      Sha256("cambista.payout_transfer:" + std::string(payout_id) + ":" + std::string(booking));
  u128 id = 0;
  for (int i = 0; i < 16; ++i) id = (id << 8) | static_cast<unsigned char>(digest[i]);
  id >>= 1;
  return id == 0 ? 1 : id;
}

AccountRef CustomerAccount(const Payout& p) {
  return AccountRef{p.tenant, AccountKind::kCustomer, p.customer_id, p.asset};
}
AccountRef FloatAccount(const Payout& p) {
  return AccountRef{p.tenant, AccountKind::kProviderFloat, p.provider, p.asset};
}
AccountRef ProviderFeesAccount(const Payout& p) {
  return AccountRef{p.tenant, AccountKind::kProviderFees, p.provider, p.asset};
}

// The two accounts a payout's hold moves money between. A customer's payout lowers what the desk
// owes the customer and the provider's float; a treasury sweep moves what the provider collected
// for the desk (its clearing account, where pay-ins are booked; the payout provider and the pay-in
// gateway share the name) to the desk's bank (treasury:bank), both debit-normal.
struct Legs {
  AccountRef debit;
  AccountRef credit;  // also pays the provider's commission
};
Legs LegsOf(const Payout& p) {
  if (p.origin == PayoutOrigin::kSweep) {
    return {AccountRef{p.tenant, AccountKind::kTreasury, std::string(kSweepTreasuryPlace), p.asset},
            accounting::GatewayClearingAccount(p.tenant, p.provider, p.asset)};
  }
  return {CustomerAccount(p), FloatAccount(p)};
}

std::string Lower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = AsciiLower(c);
  return lower;
}

jobs::NewJob Job(std::string_view kind, std::string payload) {
  jobs::NewJob job;
  job.kind = kind;
  job.payload = std::move(payload);
  return job;
}

std::string JobPayload(const Payout& p) {
  return p.tenant + "\n" + p.id;
}

// A job's payload: tenant '\n' payout id, and for a track job a callback prompted, '\n' "asked".
struct JobIds {
  std::string first;   // tenant
  std::string second;  // payout id
  bool asked = false;  // a verified callback asked for this run: the provider is asked at once
};

std::optional<JobIds> ParsePayload(std::string_view payload) {
  const size_t newline = payload.find('\n');
  if (newline == std::string_view::npos) return std::nullopt;
  std::string_view rest = payload.substr(newline + 1);
  const size_t second = rest.find('\n');
  const bool asked = second != std::string_view::npos && rest.substr(second + 1) == "asked";
  return JobIds{std::string(payload.substr(0, newline)), std::string(rest.substr(0, second)),
                asked};
}

// Whether the provider can send a customer's payout of `asset` to `destination`.
bool Serves(const ProviderDescription& description, std::string_view asset,
            const Destination& destination) {
  if (description.own_account_only) return false;  // its money goes to the desk's own account
  return std::any_of(
      description.routes.begin(), description.routes.end(), [&](const PayoutRoute& route) {
        if (route.asset != asset || route.kind != destination.kind) return false;
        return destination.kind != DestinationKind::kCryptoAddress ||
               std::find(route.networks.begin(), route.networks.end(), destination.network) !=
                   route.networks.end();
      });
}

const PayoutRoute* RouteFor(const ProviderDescription& description, std::string_view asset,
                            const Destination& destination) {
  for (const PayoutRoute& route : description.routes) {
    if (route.asset == asset && route.kind == destination.kind) return &route;
  }
  return nullptr;
}

std::string_view EventTypeFor(PayoutStatus status) {
  switch (status) {
    case PayoutStatus::kRequested:
      return "payout.requested";
    case PayoutStatus::kAwaitingApproval:
      return "payout.awaiting_approval";
    case PayoutStatus::kSubmitted:
      return "payout.submitted";
    case PayoutStatus::kConfirmed:
      return "payout.confirmed";
    case PayoutStatus::kFailed:
      return "payout.failed";
    case PayoutStatus::kCancelled:
      return "payout.cancelled";
    case PayoutStatus::kRejected:
      return "payout.rejected";
    case PayoutStatus::kUnknown:
      return "payout.unknown";
    case PayoutStatus::kManualReview:
      return "payout.manual_review";
  }
  return "payout.requested";
}

std::string EventData(const Payout& p) {
  return "{\"id\":\"" + p.id + "\",\"status\":\"" + std::string(PayoutStatusName(p.status)) +
         "\",\"customer\":\"" + p.customer_id + "\",\"provider\":\"" + p.provider +
         "\",\"asset\":\"" + p.asset + "\",\"amount_minor\":\"" + ToDecimal(p.amount) + "\"}";
}

PayoutError NotFoundError() {
  return PayoutError(PayoutErrorKind::kNotFound, "No payout has this id.", "id");
}

}  // namespace

Result<PayoutProvider*, PayoutError> PayoutService::ChooseProvider(
    const NewPayout& request, const Destination& destination) const {
  if (options_.providers == nullptr) {
    return Failure(PayoutError(PayoutErrorKind::kUnknownProvider, "No payout provider is set up."));
  }
  const std::string_view asset = request.amount.asset().code();
  std::vector<std::string> names = options_.providers->Names();
  if (request.provider) names = {Lower(*request.provider)};
  for (const std::string& name : names) {
    PayoutProvider* provider = options_.providers->Find(name);
    if (provider != nullptr && Serves(provider->Describe(), asset, destination)) return provider;
  }
  return Failure(PayoutError(PayoutErrorKind::kUnknownProvider,
                             request.provider
                                 ? "No provider of that name sends this asset to this destination."
                                 : "No provider sends this asset to this destination.",
                             request.provider ? "provider" : "destination"));
}

Result<Destination, PayoutError> PayoutService::ResolveDestination(store::Connection& connection,
                                                                   std::string_view tenant,
                                                                   const NewPayout& request) {
  if (request.destination_id) {
    auto saved = PayoutStore::FindDestination(connection, tenant, *request.destination_id);
    if (!saved || saved->customer_id != request.customer) {
      return Failure(PayoutError(PayoutErrorKind::kNotFound,
                                 "The customer has no destination with this id.",
                                 "destination_id"));
    }
    return std::move(saved->destination);
  }
  auto validated = ValidateDestination(request.destination.value_or(DestinationInput{}));
  if (!validated.ok()) {
    const DestinationError& error = validated.error();
    return Failure(PayoutError(PayoutErrorKind::kInvalidDestination, error.reason,
                               "destination." + error.field,
                               std::string(DestinationErrorCode(error.kind))));
  }
  return std::move(validated).value();
}

Result<Put<Payout>, PayoutError> PayoutService::CreatePayout(std::string_view tenant,
                                                             std::string_view actor,
                                                             std::string_view idempotency_key,
                                                             const NewPayout& request) {
  {
    auto connection = pool_.Acquire();
    if (auto first =
            PayoutStore::FindPayoutByIdempotencyKey(*connection, tenant, idempotency_key)) {
      return Put<Payout>{std::move(*first), false};
    }
  }
  auto payout = PreparePayout(tenant, actor, idempotency_key, request);
  if (!payout.ok()) return Failure(payout.error());
  return InsertPayout(std::move(payout).value());
}

Result<Destination, PayoutError> PayoutService::DestinationFor(std::string_view tenant,
                                                               const NewPayout& request) {
  auto connection = pool_.Acquire();
  return ResolveDestination(*connection, tenant, request);
}

Result<Payout, PayoutError> PayoutService::PreparePayout(std::string_view tenant,
                                                         std::string_view actor,
                                                         std::string_view idempotency_key,
                                                         const NewPayout& request) {
  if (request.amount.minor() <= 0) {
    return Failure(
        PayoutError(PayoutErrorKind::kInvalidAmount, "A payout is a positive amount.", "amount"));
  }
  Payout payout;
  {
    auto connection = pool_.Acquire();
    if (!PayoutStore::FindCustomer(*connection, tenant, request.customer)) {
      return Failure(
          PayoutError(PayoutErrorKind::kNotFound, "No customer has this id.", "customer"));
    }
    auto destination = ResolveDestination(*connection, tenant, request);
    if (!destination.ok()) return Failure(destination.error());
    payout.destination = std::move(destination).value();
  }
  auto provider = ChooseProvider(request, payout.destination);
  if (!provider.ok()) return Failure(provider.error());
  const ProviderDescription& description = provider.value()->Describe();
  const PayoutRoute* route =
      RouteFor(description, request.amount.asset().code(), payout.destination);
  if (route == nullptr || request.amount.minor() < route->minimum.minor() ||
      (route->maximum && request.amount.minor() > route->maximum->minor())) {
    return Failure(PayoutError(
        PayoutErrorKind::kInvalidAmount,
        "The amount is outside what " + description.display_name + " sends (from " +
            (route ? route->minimum.ToString() : "?") +
            (route && route->maximum ? " to " + route->maximum->ToString() : std::string()) + ").",
        "amount"));
  }
  const u128 id = ledger::TimeOrderedId(clock_);
  payout.id = "po_" + ToHex32(id);
  payout.provider_reference = ToHex32(id);
  payout.tenant = tenant;
  payout.customer_id = request.customer;
  payout.provider = description.name;
  payout.asset = request.amount.asset().code();
  payout.amount = request.amount.minor();
  payout.origin = request.origin;
  payout.reference = request.reference;
  payout.created_by = actor;
  payout.idempotency_key = idempotency_key;
  payout.created_at_ms = payout.updated_at_ms = clock_.NowMs();
  const auto threshold = options_.approval_thresholds.find(payout.asset);
  payout.status =
      threshold != options_.approval_thresholds.end() && payout.amount > threshold->second
          ? PayoutStatus::kAwaitingApproval
          : PayoutStatus::kRequested;
  return payout;
}

void PayoutService::PrepareAccounts(const Payout& payout) {
  const Legs legs = LegsOf(payout);
  const AccountRef accounts[] = {legs.debit, legs.credit, ProviderFeesAccount(payout)};
  chart_.Ensure(accounts);
}

Result<Put<Payout>, PayoutError> PayoutService::InsertPayout(Payout payout) {
  PrepareAccounts(payout);
  auto connection = pool_.Acquire();
  store::Transaction tx(*connection, store::TransactionMode::kWrite);
  if (auto first = PayoutStore::FindPayoutByIdempotencyKey(*connection, payout.tenant,
                                                           payout.idempotency_key)) {
    return Put<Payout>{std::move(*first), false};  // a concurrent request with the key won
  }
  const auto held = HoldInTransaction(*connection, payout, "api:" + payout.created_by);
  if (!held.ok()) return Failure(held.error());
  tx.Commit();
  if (held.value() != 0) SendSoon(payout, held.value());
  return Put<Payout>{std::move(payout), true};
}

Result<int64_t, PayoutError> PayoutService::HoldInTransaction(store::Connection& tx,
                                                              const Payout& payout,
                                                              std::string_view actor) {
  PayoutStore::InsertPayout(tx, payout);
  PayoutStore::AppendHistory(tx, payout,
                             PayoutChange{std::nullopt, payout.status, std::string(actor),
                                          "created", payout.created_at_ms});
  const Legs legs = LegsOf(payout);
  ledger::Transfer hold;
  hold.id = PayoutTransferId(payout.id, "hold");
  hold.debit_account_id = legs.debit.Id();
  hold.credit_account_id = legs.credit.Id();
  hold.amount = static_cast<u128>(payout.amount);
  hold.asset = payout.asset;
  hold.code = kHoldCode;
  hold.flags = ledger::TransferFlags::kPending;
  const ledger::Transfer transfers[] = {hold};
  const ledger::CreateTransferResult held = ledger_.SubmitInTransaction(tx, transfers)[0];
  if (held == ledger::CreateTransferResult::kExceedsCredits ||
      held == ledger::CreateTransferResult::kExceedsDebits) {
    const bool sweep = payout.origin == PayoutOrigin::kSweep;
    return Failure(PayoutError(PayoutErrorKind::kInsufficientFunds,
                               held == ledger::CreateTransferResult::kExceedsCredits
                                   ? "The customer's balance does not cover the payout."
                               : sweep ? "The provider's clearing account does not cover the sweep."
                                       : "The provider's float does not cover the payout.",
                               "amount"));
  }
  if (held != ledger::CreateTransferResult::kOk) {
    return Failure(PayoutError(PayoutErrorKind::kInternal,
                               "The ledger refused the hold: " + std::string(ledger::Name(held))));
  }
  const int64_t submit_job =
      payout.status == PayoutStatus::kRequested ? EnqueueSubmit(tx, payout) : 0;
  events::EmitEvent(
      tx, clock_,
      {payout.tenant, std::string(EventTypeFor(payout.status)), "payouts", EventData(payout)},
      options_.event_attempts_max);
  return submit_job;
}

int64_t PayoutService::EnqueueSubmit(store::Connection& tx, const Payout& payout) {
  jobs::NewJob submit = Job(kSubmitJobKind, JobPayload(payout));
  if (options_.send_soon) submit.delay_ms = kSubmitFallbackMs;
  return jobs::Enqueue(tx, clock_, submit).id;
}

void PayoutService::SendSoon(const Payout& payout, int64_t submit_job) {
  const bool taken =
      options_.send_soon && options_.send_soon([this, payload = JobPayload(payout), submit_job] {
        Submit(payload, submit_job);
      });
  // Not taken: the submit job sends it when due (at once when there are no lanes).
  if (!taken && options_.wake_jobs) options_.wake_jobs();
}

void PayoutService::Book(store::Connection& tx, const Payout& payout, PayoutStatus to) {
  std::vector<ledger::Transfer> transfers;
  ledger::Transfer resolve;
  resolve.pending_id = PayoutTransferId(payout.id, "hold");
  if (to == PayoutStatus::kConfirmed) {
    resolve.id = PayoutTransferId(payout.id, "post");
    resolve.flags = ledger::TransferFlags::kPostPendingTransfer;
  } else {
    resolve.id = PayoutTransferId(payout.id, "void");
    resolve.flags = ledger::TransferFlags::kVoidPendingTransfer;
  }
  transfers.push_back(resolve);
  if (to == PayoutStatus::kConfirmed && payout.commission && *payout.commission > 0) {
    ledger::Transfer commission;
    commission.id = PayoutTransferId(payout.id, "commission");
    commission.debit_account_id = ProviderFeesAccount(payout).Id();
    commission.credit_account_id = LegsOf(payout).credit.Id();
    commission.amount = static_cast<u128>(*payout.commission);
    commission.asset = payout.asset;
    commission.code = kCommissionCode;
    transfers.push_back(commission);
  }
  for (auto result : ledger_.SubmitInTransaction(tx, transfers)) {
    // A float the commission overdraws still books the payout: the provider took it already. It
    // shows as a refused commission in the logs of the reconciliation (a float topped up late).
    if (result != ledger::CreateTransferResult::kOk &&
        result != ledger::CreateTransferResult::kExists &&
        result != ledger::CreateTransferResult::kExceedsDebits) {
      throw std::runtime_error("payouts: the ledger refused a booking: " +
                               std::string(ledger::Name(result)));
    }
  }
}

void PayoutService::Transition(store::Connection& tx, Payout& payout, PayoutStatus to,
                               std::string_view actor, std::string_view reason) {
  const PayoutStatus from = payout.status;
  if (IsFinal(to)) Book(tx, payout, to);  // CONFIRMED posts the hold; the others void it
  payout.status = to;
  payout.updated_at_ms = clock_.NowMs();
  if (to == PayoutStatus::kUnknown) payout.unknown_since_ms = payout.updated_at_ms;
  PayoutStore::UpdatePayout(tx, payout);
  PayoutStore::AppendHistory(
      tx, payout,
      PayoutChange{from, to, std::string(actor), std::string(reason), payout.updated_at_ms});
  events::EmitEvent(tx, clock_,
                    {payout.tenant, std::string(EventTypeFor(to)), "payouts", EventData(payout)},
                    options_.event_attempts_max);
  if (observer_) observer_(tx, payout);
}

}  // namespace cambista::payouts

namespace cambista::payouts {

Result<Payout, PayoutError> PayoutService::GetPayout(std::string_view tenant, std::string_view id) {
  auto connection = pool_.Acquire();
  auto payout = PayoutStore::FindPayout(*connection, tenant, id, false);
  if (!payout) return Failure(NotFoundError());
  return std::move(*payout);
}

std::vector<PayoutChange> PayoutService::PayoutHistory(std::string_view tenant,
                                                       std::string_view id) {
  auto connection = pool_.Acquire();
  return PayoutStore::History(*connection, tenant, id);
}

std::vector<Payout> PayoutService::ListPayouts(std::string_view tenant,
                                               std::optional<PayoutStatus> status,
                                               std::optional<std::string_view> customer,
                                               std::optional<std::string_view> before_id,
                                               int limit) {
  auto connection = pool_.Acquire();
  return PayoutStore::ListPayouts(*connection, tenant, status, customer, before_id, limit);
}

Result<Payout, PayoutError> PayoutService::CancelPayout(std::string_view tenant,
                                                        std::string_view id,
                                                        std::string_view actor) {
  auto connection = pool_.Acquire();
  store::Transaction tx(*connection, store::TransactionMode::kWrite);
  auto payout = PayoutStore::FindPayout(*connection, tenant, id, true);
  if (!payout) return Failure(NotFoundError());
  if (payout->status != PayoutStatus::kRequested &&
      payout->status != PayoutStatus::kAwaitingApproval) {
    return Failure(PayoutError(PayoutErrorKind::kInvalidTransition,
                               "Only a payout not yet sent can be cancelled; this one is " +
                                   std::string(PayoutStatusName(payout->status)) + "."));
  }
  Transition(*connection, *payout, PayoutStatus::kCancelled, "api:" + std::string(actor),
             "cancelled");
  tx.Commit();
  return std::move(*payout);
}

Result<Payout, PayoutError> PayoutService::Decide(std::string_view tenant, std::string_view id,
                                                  std::string_view approver, bool approve) {
  auto connection = pool_.Acquire();
  store::Transaction tx(*connection, store::TransactionMode::kWrite);
  auto payout = PayoutStore::FindPayout(*connection, tenant, id, true);
  if (!payout) return Failure(NotFoundError());
  if (payout->status != PayoutStatus::kAwaitingApproval) {
    return Failure(PayoutError(PayoutErrorKind::kInvalidTransition,
                               "Only a payout awaiting approval can be decided; this one is " +
                                   std::string(PayoutStatusName(payout->status)) + "."));
  }
  if (payout->created_by == approver) {
    return Failure(PayoutError(PayoutErrorKind::kApprovalRefused,
                               "The key that created a payout cannot decide on it."));
  }
  const std::string actor = "approver:" + std::string(approver);
  if (approve) {
    Transition(*connection, *payout, PayoutStatus::kRequested, actor, "approved");
  } else {
    Transition(*connection, *payout, PayoutStatus::kRejected, actor, "rejected");
  }
  const int64_t submit_job = approve ? EnqueueSubmit(*connection, *payout) : 0;
  tx.Commit();
  if (approve) SendSoon(*payout, submit_job);
  return std::move(*payout);
}

Result<Payout, PayoutError> PayoutService::Resolve(std::string_view tenant, std::string_view id,
                                                   std::string_view operator_key, bool paid,
                                                   std::string_view reason) {
  auto connection = pool_.Acquire();
  store::Transaction tx(*connection, store::TransactionMode::kWrite);
  auto payout = PayoutStore::FindPayout(*connection, tenant, id, true);
  if (!payout) return Failure(NotFoundError());
  if (payout->status != PayoutStatus::kManualReview) {
    return Failure(PayoutError(PayoutErrorKind::kInvalidTransition,
                               "Only a payout under review can be resolved; this one is " +
                                   std::string(PayoutStatusName(payout->status)) + "."));
  }
  if (payout->created_by == operator_key) {
    return Failure(PayoutError(PayoutErrorKind::kApprovalRefused,
                               "The key that created a payout cannot resolve it."));
  }
  if (!paid) payout->failure_reason = reason;
  Transition(*connection, *payout, paid ? PayoutStatus::kConfirmed : PayoutStatus::kFailed,
             "operator:" + std::string(operator_key), reason);
  tx.Commit();
  return std::move(*payout);
}

void PayoutService::ApplyReport(store::Connection& tx, Payout& payout, const ProviderPayout& report,
                                std::string_view actor) {
  if (!report.provider_id.empty()) payout.provider_id = report.provider_id;
  if (!report.txid.empty()) payout.txid = report.txid;
  if (report.commission) payout.commission = report.commission->minor();
  const std::string reason = "provider status " + report.raw_status;
  // A "final" word of no final status (Heleket's `check` with is_final) is taken as not final:
  // the provider holds the payout, and is asked again.
  if (!report.is_final || report.status == ProviderPayoutStatus::kProcessing) {
    // Not final: only news for a payout whose answer was lost; a status going backwards after
    // SUBMITTED changes nothing.
    if (payout.status == PayoutStatus::kUnknown) {
      payout.unknown_since_ms = 0;
      Transition(tx, payout, PayoutStatus::kSubmitted, actor, reason);
    }
    return;
  }
  PayoutStatus to = PayoutStatus::kConfirmed;
  if (report.status == ProviderPayoutStatus::kFailed) to = PayoutStatus::kFailed;
  if (report.status == ProviderPayoutStatus::kCancelled) to = PayoutStatus::kCancelled;
  if (!TransitionAllowed(payout.status, to)) return;  // a payout already past it
  if (to == PayoutStatus::kConfirmed && report.amount && report.amount->minor() != payout.amount) {
    // Paid, but not what we asked: nothing is posted on the provider's word alone.
    payout.unknown_since_ms = 0;
    Transition(tx, payout, PayoutStatus::kManualReview, actor,
               "paid with another amount: " + report.amount->ToString() + " " + payout.asset);
    return;
  }
  if (to != PayoutStatus::kConfirmed) payout.failure_reason = report.reason;
  payout.unknown_since_ms = 0;
  Transition(tx, payout, to, actor, reason);
}

JobStep PayoutService::Submit(std::string_view payload, std::optional<int64_t> fallback_job) {
  const auto ids = ParsePayload(payload);
  if (!ids) return JobStep{true, "malformed payload", 0};
  Payout payout;
  PayoutProvider* provider = nullptr;
  {
    auto connection = pool_.Acquire();
    store::Transaction tx(*connection, store::TransactionMode::kWrite);
    auto found = PayoutStore::FindPayout(*connection, ids->first, ids->second, true);
    if (!found || found->status != PayoutStatus::kRequested) return JobStep{};  // sent already
    provider = options_.providers ? options_.providers->Find(found->provider) : nullptr;
    if (provider == nullptr) {
      return JobStep{false, "provider " + found->provider + " is not set up", 60'000};
    }
    payout = std::move(*found);
    // Committed before the call: a crash from here on leaves UNKNOWN, which only asking the
    // provider resolves: this track job asks track_after_send_ms on (a minute), in case the
    // process dies during the call; a lost answer has one asking sooner (Answered).
    Transition(*connection, payout, PayoutStatus::kUnknown, "submit",
               "sending to " + payout.provider);
    jobs::NewJob track = Job(kTrackJobKind, JobPayload(payout));
    track.dedupe_key = std::string(kTrackJobKind) + ":" + payout.tenant + ":" + payout.id;
    track.max_attempts = 1'000'000;
    track.delay_ms = options_.track_after_send_ms;
    jobs::Enqueue(*connection, clock_, track);
    if (fallback_job) jobs::CompleteReadyJob(*connection, *fallback_job, clock_.NowMs());
    tx.Commit();
  }
  if (options_.assets == nullptr || !options_.assets->Find(payout.asset).ok()) {
    return JobStep{true, "asset " + payout.asset + " is not known", 0};
  }
  const PayoutRequest request{
      payout.provider_reference, Amount(payout.amount, options_.assets->Find(payout.asset).value()),
      payout.destination,
      (options_.public_base_url ? options_.public_base_url() : std::string()) +
          "/callbacks/payouts/" + payout.provider};
  Answered(payout.tenant, payout.id, provider->Create(request),
           provider->Describe().signs_callbacks, true);
  return JobStep{};  // sent once: what follows is the track jobs
}

}  // namespace cambista::payouts

namespace cambista::payouts {

// After a Create or a Fetch: the answer moves the payout on, in one transaction with its booking.
// Without an answer the payout stays as it is and is asked about again; UNKNOWN for longer than
// review_after_ms goes to MANUAL_REVIEW.
JobStep PayoutService::Answered(std::string_view tenant, std::string_view id,
                                const Result<ProviderPayout, ProviderError>& answer,
                                bool callbacks_signed, bool answers_create) {
  auto connection = pool_.Acquire();
  store::Transaction tx(*connection, store::TransactionMode::kWrite);
  auto payout = PayoutStore::FindPayout(*connection, tenant, id, true);
  if (!payout || IsFinal(payout->status) || payout->status == PayoutStatus::kManualReview) {
    return JobStep{};
  }
  std::string error;
  if (answer.ok()) {
    ApplyReport(*connection, *payout, answer.value(), "provider:" + payout->provider);
  } else {
    const ProviderError& failure = answer.error();
    error = std::string(ProviderErrorKindName(failure.kind)) + ": " + failure.message;
    // Refused for certain (a 4xx on the create): nothing exists at the provider. A status query
    // refused (credentials rotated, a 4xx of its API) proves nothing of the kind: the payout
    // stays UNKNOWN, and goes to review if that lasts.
    const bool refused = answers_create && (failure.kind == ProviderError::Kind::kRejected ||
                                            failure.kind == ProviderError::Kind::kInvalidRequest ||
                                            failure.kind == ProviderError::Kind::kAuth);
    if (refused && payout->status == PayoutStatus::kUnknown && payout->provider_id.empty() &&
        payout->updated_at_ms == payout->unknown_since_ms) {
      payout->failure_reason = failure.message;
      Transition(*connection, *payout, PayoutStatus::kFailed, "provider:" + payout->provider,
                 "refused: " + failure.message);
    } else if (payout->status == PayoutStatus::kUnknown &&
               clock_.NowMs() - payout->unknown_since_ms >= options_.review_after_ms) {
      Transition(*connection, *payout, PayoutStatus::kManualReview, "track",
                 "no answer from " + payout->provider + " since it was sent: " + error);
    } else if (payout->status == PayoutStatus::kUnknown) {
      // The answer was lost: ask soon (once; the track job keeps asking after that).
      jobs::NewJob soon = Job(kTrackJobKind, JobPayload(*payout));
      soon.dedupe_key =
          std::string(kTrackJobKind) + ":" + payout->tenant + ":" + payout->id + ":lost";
      soon.delay_ms = options_.track_interval_ms;
      jobs::Enqueue(*connection, clock_, soon);
    }
  }
  tx.Commit();
  const bool done = IsFinal(payout->status) || payout->status == PayoutStatus::kManualReview;
  // Asked again at a quarter of its age (at least track_interval_ms, at most every 10 minutes):
  // a payout minutes old is not asked about every few seconds; a submitted one whose provider
  // signs its callbacks, not before a quiet minute.
  const int64_t age_ms = clock_.NowMs() - payout->created_at_ms;
  const int64_t least = callbacks_signed && payout->status == PayoutStatus::kSubmitted
                            ? kSubmittedQuietMs
                            : options_.track_interval_ms;
  return JobStep{done, error, std::clamp<int64_t>(age_ms / 4, least, kTrackIntervalMaxMs)};
}

JobStep PayoutService::Track(std::string_view payload) {
  const auto ids = ParsePayload(payload);
  if (!ids) return JobStep{true, "malformed payload", 0};
  Payout payout;
  {
    auto connection = pool_.Acquire();
    auto found = PayoutStore::FindPayout(*connection, ids->first, ids->second, false);
    if (!found || IsFinal(found->status) || found->status == PayoutStatus::kManualReview) {
      return JobStep{};
    }
    payout = std::move(*found);
  }
  if (payout.status != PayoutStatus::kUnknown && payout.status != PayoutStatus::kSubmitted) {
    return JobStep{false, "not sent yet", options_.track_interval_ms};
  }
  PayoutProvider* provider =
      options_.providers ? options_.providers->Find(payout.provider) : nullptr;
  if (provider == nullptr) {
    return JobStep{false, "provider " + payout.provider + " is not set up", 60'000};
  }
  // A provider that signs its callbacks tells us when a submitted payout moves: until it has been
  // quiet for a while, there is nothing to ask.
  const bool told = provider->Describe().signs_callbacks;
  const int64_t quiet_ms = clock_.NowMs() - payout.updated_at_ms;
  if (!ids->asked && told && payout.status == PayoutStatus::kSubmitted &&
      quiet_ms < kSubmittedQuietMs) {
    return JobStep{false, "waiting for the provider's callback", kSubmittedQuietMs - quiet_ms};
  }
  return Answered(payout.tenant, payout.id, provider->Fetch(payout.provider_reference), told,
                  false);
}

CallbackOutcome PayoutService::TakeCallback(std::string_view provider_name,
                                            const CallbackRequest& request) {
  PayoutProvider* provider =
      options_.providers ? options_.providers->Find(Lower(provider_name)) : nullptr;
  if (provider == nullptr) return CallbackOutcome{404, "not_found", "No such payout provider."};
  auto parsed = provider->ParseCallback(request);
  if (!parsed.ok()) {
    const CallbackRejection& rejection = parsed.error();
    switch (rejection.kind) {
      case CallbackRejection::Kind::kBadSignature:
        return CallbackOutcome{401, "invalid_signature", rejection.message};
      case CallbackRejection::Kind::kMalformed:
        return CallbackOutcome{400, "invalid_request", rejection.message};
      case CallbackRejection::Kind::kIgnored:
        return CallbackOutcome{200, "ignored", rejection.message};
    }
  }
  auto connection = pool_.Acquire();
  store::Transaction tx(*connection, store::TransactionMode::kWrite);
  auto payout = PayoutStore::FindPayoutAtProvider(*connection, provider->Describe().name,
                                                  parsed.value().reference, false);
  if (!payout) return CallbackOutcome{200, "unknown_payout", "No payout has this reference."};
  // A hint: the provider is asked now (one job per reported status), and only its answer counts.
  jobs::NewJob track = Job(kTrackJobKind, JobPayload(*payout) + "\nasked");
  track.dedupe_key = std::string(kTrackJobKind) + ":" + payout->tenant + ":" + payout->id + ":" +
                     parsed.value().raw_status + (parsed.value().is_final ? ":final" : "");
  track.max_attempts = 20;
  jobs::Enqueue(*connection, clock_, track);
  tx.Commit();
  if (options_.wake_jobs) options_.wake_jobs();
  return CallbackOutcome{200, "applied", "The provider will be asked."};
}

}  // namespace cambista::payouts

namespace cambista::payouts {
namespace {

// The value at quantile q (percent) of sorted `values`: nearest rank, so always an observed value.
int64_t Percentile(const std::vector<int64_t>& sorted, int percent) {
  const size_t rank = (sorted.size() * static_cast<size_t>(percent) + 99) / 100;
  return sorted[std::max<size_t>(rank, 1) - 1];
}

}  // namespace

std::vector<ProviderStats> PayoutService::Stats(std::string_view tenant, int64_t from_ms,
                                                int64_t to_ms) {
  std::vector<Payout> payouts;
  {
    auto connection = pool_.Acquire();
    payouts = PayoutStore::ListPayoutsCreatedBetween(*connection, tenant, from_ms, to_ms,
                                                     kStatsPayoutsMax);
  }
  std::map<std::string, ProviderStats> by_provider;
  std::map<std::string, std::vector<int64_t>> to_final;
  for (const Payout& p : payouts) {
    ProviderStats& stats = by_provider[p.provider];
    stats.provider = p.provider;
    ++stats.count;
    // Failed at the provider (or refused by it), or cancelled there; not a payout cancelled or
    // rejected before it was sent.
    const bool sent_and_lost = p.status == PayoutStatus::kFailed ||
                               (p.status == PayoutStatus::kCancelled && !p.provider_id.empty());
    if (p.status == PayoutStatus::kConfirmed) {
      ++stats.confirmed;
      stats.volume[p.asset] += p.amount;
    } else if (sent_and_lost) {
      ++stats.failed;
    }
    if (p.status == PayoutStatus::kConfirmed || sent_and_lost) {
      to_final[p.provider].push_back(p.updated_at_ms - p.created_at_ms);
    }
  }
  std::vector<ProviderStats> out;
  for (auto& [name, stats] : by_provider) {
    if (stats.confirmed + stats.failed > 0) {
      stats.success_rate_bp = stats.confirmed * 10'000 / (stats.confirmed + stats.failed);
    }
    std::vector<int64_t>& durations = to_final[name];
    if (!durations.empty()) {
      std::sort(durations.begin(), durations.end());
      stats.p50_ms_to_final = Percentile(durations, 50);
      stats.p95_ms_to_final = Percentile(durations, 95);
    }
    out.push_back(std::move(stats));
  }
  return out;
}

}  // namespace cambista::payouts
