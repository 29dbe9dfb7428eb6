// The payouts' logic, without HTTP or SQL (payouts/routes.cpp and payouts/store.cpp hold those):
// the desk's customers, the destinations saved for them, the payouts themselves, and the deposits
// an operator records for money that arrived outside the system. Errors are PayoutErrors.
//
// A payout reaches its provider at most once: its provider-side reference is fixed when it is
// made (a customer's by the API, a treasury sweep's by payouts/treasury_sweeps.hpp); before the one
// Create call it turns UNKNOWN (committed), and only the provider's answer, or a Fetch by that
// reference, moves it on. An UNKNOWN payout unresolved for review_after_ms goes to MANUAL_REVIEW,
// never back to the queue. Money moves only on the provider's own API: created, the amount is
// held (a pending transfer from the customer's account to the provider's float; for a sweep from
// the provider's clearing account to treasury:bank); CONFIRMED posts it and books the commission
// (provider_fees <- float, or <- clearing); FAILED, CANCELLED and REJECTED void it; each in the
// transaction of the state change, with its history row and its `payout.*` event.
//
// A deposit is a ledger transfer between the named chart account and the tenant's `external`
// account, in the transaction that records it: a debit-normal account (a provider's float, a
// treasury place) is debited, a credit-normal one (a customer, the merchant) credited. Its transfer
// id is derived from the tenant and the reference, so recording the same deposit twice finds the
// first; the same reference with another account, asset or amount is a conflict.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "accounting/chart.hpp"
#include "core/amount.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "ledger/ledger.hpp"
#include "payouts/model.hpp"
#include "payouts/provider.hpp"
#include "store/connection_pool.hpp"

namespace cambista::payouts {

struct CustomerInput {
  std::string name;
  std::string document;
  int kyc_level = 0;
};

struct DepositRequest {
  std::string account;  // "customer:c1", "provider:heleket", "treasury:bank", "merchant"
  Amount amount;        // positive, at most kDepositMajorMax of the asset
  std::string reference;
};

// The payout providers the service may use, by name.
class ProviderDirectory {
 public:
  virtual ~ProviderDirectory() = default;
  virtual PayoutProvider* Find(std::string_view name) const = 0;  // nullptr: not configured
  virtual std::vector<std::string> Names() const = 0;             // in the order they are tried
};

struct PayoutOptions {
  const ProviderDirectory* providers = nullptr;
  const AssetRegistry* assets = nullptr;
  // Where providers reach us: callbacks go to <base>/callbacks/payouts/<provider>.
  std::function<std::string()> public_base_url;
  // Payouts above the asset's threshold (minor units) wait for a second key's approval.
  std::map<std::string, i128, std::less<>> approval_thresholds;
  int64_t review_after_ms = 3'600'000;  // UNKNOWN for longer: MANUAL_REVIEW, never sent again
  int64_t track_interval_ms = 5'000;    // how often an unfinished payout is asked about
  // After a payout is sent, its track job (committed before the call, with the UNKNOWN state)
  // first asks this late: it is what resolves a payout whose sender died during the call; a lost
  // answer has it asked sooner.
  int64_t track_after_send_ms = 60'000;
  int event_attempts_max = 8;
  std::function<void()> wake_jobs;
  // Sends a payout right after the transaction that makes it REQUESTED commits, off the caller's
  // thread (payouts/send_lanes.hpp); false when it cannot take the work now. The submit job,
  // enqueued in that transaction kSubmitFallbackMs later, sends it only if this never did (a
  // crash, a full lane); the send marks that job done. Unset: the submit job runs at once.
  std::function<bool(std::function<void()>)> send_soon;
};

struct NewPayout {
  std::string customer;
  std::optional<std::string> provider;  // else the first provider serving asset and destination
  Amount amount;
  std::optional<DestinationInput> destination;  // or
  std::optional<std::string> destination_id;
  PayoutOrigin origin = PayoutOrigin::kManual;
  std::string reference;
};

// The jobs of a payout: sending it once, then asking the provider until it is final.
inline constexpr std::string_view kSubmitJobKind = "payouts.submit";
inline constexpr std::string_view kTrackJobKind = "payouts.track";
// With send_soon, how long the submit job waits before it sends a payout the lanes did not.
inline constexpr int64_t kSubmitFallbackMs = 30'000;

struct JobStep {
  bool done = true;
  std::string error;  // why it must run again
  int64_t retry_after_ms = 0;
};

// What a callback delivery comes to, for its HTTP answer.
struct CallbackOutcome {
  int status = 200;  // 401 bad signature, 400 malformed, 404 no such provider, 200 otherwise
  std::string code;  // the problem code when refused; "applied", "unknown_payout", "ignored"
  std::string detail;
};

// One provider's figures over a time range (GET /v1/stats/payouts).
struct ProviderStats {
  std::string provider;
  int64_t count = 0;                                // payouts created in the range
  int64_t confirmed = 0;                            // of them, CONFIRMED
  int64_t failed = 0;                               // FAILED or CANCELLED after it was sent
  std::map<std::string, i128, std::less<>> volume;  // confirmed amounts per asset, minor units
  // confirmed / (confirmed + failed), in basis points; nullopt before any is final
  std::optional<int64_t> success_rate_bp;
  // From creation to a final state (CONFIRMED, FAILED, CANCELLED), over those that reached one.
  std::optional<int64_t> p50_ms_to_final;
  std::optional<int64_t> p95_ms_to_final;
};
inline constexpr int kStatsPayoutsMax = 200'000;  // payouts read for one range

// The largest deposit, in major units of its asset: a bound before anything is booked.
inline constexpr int64_t kDepositMajorMax = 1'000'000'000'000;

// The outcome of a write that may find what an earlier call made: `created` false when it did.
template <typename T>
struct Put {
  T value;
  bool created = false;
};

class PayoutService {
 public:
  PayoutService(store::Database& database, ledger::Ledger& ledger, accounting::Chart& chart,
                const Clock& clock, PayoutOptions options = {});

  Result<Put<Customer>, PayoutError> PutCustomer(std::string_view tenant, std::string_view id,
                                                 const CustomerInput& input);
  Result<Customer, PayoutError> GetCustomer(std::string_view tenant, std::string_view id);

  // Validates (ValidateDestination) before anything is stored; the customer must exist.
  Result<Put<SavedDestination>, PayoutError> AddDestination(std::string_view tenant,
                                                            std::string_view customer_id,
                                                            const DestinationInput& input);
  Result<std::vector<SavedDestination>, PayoutError> ListDestinations(std::string_view tenant,
                                                                      std::string_view customer_id,
                                                                      std::string_view after_id,
                                                                      int limit);

  // Holds the amount (a pending transfer from the customer's account to the provider's float)
  // and queues the sending, in one transaction: 409 insufficient_funds leaves nothing behind. The
  // same Idempotency-Key finds the first payout.
  Result<Put<Payout>, PayoutError> CreatePayout(std::string_view tenant, std::string_view actor,
                                                std::string_view idempotency_key,
                                                const NewPayout& request);
  Result<Payout, PayoutError> GetPayout(std::string_view tenant, std::string_view id);
  std::vector<PayoutChange> PayoutHistory(std::string_view tenant, std::string_view id);
  std::vector<Payout> ListPayouts(std::string_view tenant, std::optional<PayoutStatus> status,
                                  std::optional<std::string_view> customer,
                                  std::optional<std::string_view> before_id, int limit);
  // Before anything was sent (REQUESTED, AWAITING_APPROVAL): CANCELLED, the hold voided.
  Result<Payout, PayoutError> CancelPayout(std::string_view tenant, std::string_view id,
                                           std::string_view actor);

  // Four eyes: a payout above its asset's threshold waits for another key (with payouts:approve
  // and its TOTP, checked by the caller) to approve it (back to REQUESTED, then sent) or reject it
  // (REJECTED, the hold voided). The creator's own key is refused: kApprovalRefused.
  Result<Payout, PayoutError> Decide(std::string_view tenant, std::string_view id,
                                     std::string_view approver, bool approve);

  // An operator's word on a payout in MANUAL_REVIEW, after looking at the provider (its dashboard,
  // the chain): paid (CONFIRMED, the hold posted) or not (FAILED, the hold voided). The creator's
  // key is refused, as for an approval (kApprovalRefused); anything but MANUAL_REVIEW is
  // kInvalidTransition.
  Result<Payout, PayoutError> Resolve(std::string_view tenant, std::string_view id,
                                      std::string_view operator_key, bool paid,
                                      std::string_view reason);

  // The jobs (payload: tenant '\n' payout id). Submit sends a REQUESTED payout once: it becomes
  // UNKNOWN before the call and leaves UNKNOWN only on the provider's answer. Track asks the
  // provider by our reference until the payout is final, or is in review.
  // `fallback_job`: the submit job a send from the lanes makes redundant.
  JobStep Submit(std::string_view payload, std::optional<int64_t> fallback_job = std::nullopt);
  JobStep Track(std::string_view payload);
  // A callback is a hint: verified, it makes Track ask the provider now; it never moves money.
  CallbackOutcome TakeCallback(std::string_view provider, const CallbackRequest& request);

  // Per provider, the payouts created in [from_ms, to_ms) (at most kStatsPayoutsMax of them).
  std::vector<ProviderStats> Stats(std::string_view tenant, int64_t from_ms, int64_t to_ms);

  // `actor`: the API key's prefix, kept with the deposit.
  Result<Put<Deposit>, PayoutError> RecordDeposit(std::string_view tenant, std::string_view actor,
                                                  const DepositRequest& request);

  // For payouts another part of the module makes in a transaction of its own (the treasury
  // sweeps, payouts/treasury_sweeps.hpp). PrepareAccounts opens the payout's ledger accounts,
  // before that transaction. HoldInTransaction then stores the payout with its first history row
  // (by `actor`), holds its amount, queues its submit job and emits its event, in the caller's
  // open write transaction, and gives the submit job's id (0: none, it awaits approval): on an
  // error (kInsufficientFunds when the ledger cannot cover it) the caller rolls back. After the
  // commit, SendSoon with that id sends it now (send_soon, else the job workers woken).
  //
  // PreparePayout checks a request as CreatePayout does (customer, destination, provider, the
  // provider's bounds) and gives the payout it would store, with fresh ids, storing nothing.
  Result<Payout, PayoutError> PreparePayout(std::string_view tenant, std::string_view actor,
                                            std::string_view idempotency_key,
                                            const NewPayout& request);
  // The destination a request names (inline, validated, or the customer's saved one).
  Result<Destination, PayoutError> DestinationFor(std::string_view tenant,
                                                  const NewPayout& request);
  void PrepareAccounts(const Payout& payout);
  Result<int64_t, PayoutError> HoldInTransaction(store::Connection& tx, const Payout& payout,
                                                 std::string_view actor);
  void SendSoon(const Payout& payout, int64_t submit_job);

  // Told of every change of a payout's state after its creation, inside the transaction of the
  // change (trading follows the payouts of its trades: it enqueues a job there). Set before the
  // server starts.
  using Observer = std::function<void(store::Connection& tx, const Payout& payout)>;
  void Observe(Observer observer) { observer_ = std::move(observer); }

 private:
  Result<accounting::AccountRef, PayoutError> DepositAccount(std::string_view tenant,
                                                             std::string_view name,
                                                             std::string_view currency) const;
  Result<Put<Deposit>, PayoutError> BookDeposit(Deposit deposit,
                                                const accounting::AccountRef& target);

  Result<PayoutProvider*, PayoutError> ChooseProvider(const NewPayout& request,
                                                      const Destination& destination) const;
  Result<Destination, PayoutError> ResolveDestination(store::Connection& connection,
                                                      std::string_view tenant,
                                                      const NewPayout& request);
  Result<Put<Payout>, PayoutError> InsertPayout(Payout payout);
  // In the transaction that makes `payout` REQUESTED: its submit job (at once, or as the fallback
  // of send_soon), its id.
  int64_t EnqueueSubmit(store::Connection& tx, const Payout& payout);
  // Moves `payout` to `to` in the caller's transaction: the row, its history, its ledger
  // transfers (post or void the hold) and its event.
  void Transition(store::Connection& tx, Payout& payout, PayoutStatus to, std::string_view actor,
                  std::string_view reason);
  void ApplyReport(store::Connection& tx, Payout& payout, const ProviderPayout& report,
                   std::string_view actor);
  void Book(store::Connection& tx, const Payout& payout, PayoutStatus to);
  // `answers_create`: the answer to the one Create (only its refusal proves that nothing exists at
  // the provider), else to a Fetch.
  JobStep Answered(std::string_view tenant, std::string_view id,
                   const Result<ProviderPayout, ProviderError>& answer, bool callbacks_signed,
                   bool answers_create);

  store::ConnectionPool pool_;
  ledger::Ledger& ledger_;
  accounting::Chart& chart_;
  const Clock& clock_;
  PayoutOptions options_;
  Observer observer_;
};

}  // namespace cambista::payouts
