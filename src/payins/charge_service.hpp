// Charges: a merchant's (tenant's) request to be paid, created at one of its gateways, then moved
// only by proof. The service behind /v1/charges, /webhooks/{gateway}/{tenant}/{token} and the
// pay-in jobs; it knows no HTTP and no SQL (store.hpp has the SQL).
//
// Creation. The charge row is written CREATING first (unique per tenant and Idempotency-Key, so a
// retry finds it) with the hash of a fresh callback token (128 random bits), after checking the
// amount against the bounds of each gateway (its documented minimum and maximum, the tenant's own,
// and what a BR Code can carry). Then the tenant's gateways for the currency are tried in order,
// each call on that gateway's lane (gateway_lanes.hpp), never on the caller's thread, until one
// creates it; the row becomes PENDING with the gateway's ids and BR Code, or FAILED. The callback
// URL handed to the gateway is <public base>/webhooks/<gateway>/<tenant>/<token>. A CREATING row
// left by a crash is recovered by a job (and by a retry of its key) after creating_stale_ms: none
// of our gateways can be searched by our reference, so it becomes FAILED.
//
// Proof. A webhook is a hint. Its URL must carry the charge's token (constant-time checked, else
// 401 and nothing changes). What it may then change depends on what the gateway offers:
//   - it signs its webhooks (BuhoPago): the signature, checked with the tenant's secret, is the
//     proof; the signed status and amount are applied;
//   - it has a status API (SyncPay, PushinPay, Paradise, ÁtomoPay): the webhook only enqueues a
//     `charges.confirm` job, which asks the gateway and applies what the gateway says (PushinPay's
//     once-a-minute limit is waited out by the job);
//   - neither (WiinPay): the token is the proof, and the charge records it (proof "token").
// Every delivery is recorded for the audit, verified or not; only a verified delivery that changed
// the charge takes its (gateway, event id) for deduplication, so a forged or early one never blocks
// the real one. The token names the charge: a webhook naming another gateway transaction than the
// charge's is refused, and a reference or an amount never selects a charge.
//
// Money. A payment of the charge's amount moves the charge to PAID and, in one database
// transaction with the state, the history, the counters and the `charge.paid` event, posts the
// gateway's clearing account -> the merchant's account (gross) and the gateway's fee back from the
// merchant (so the merchant holds the net; the fee is the gateway's report, else its configured
// schedule). Any other payment (another amount, after expiry or failure) is booked into the
// tenant's suspense account and the charge waits in MANUAL_REVIEW until an operator accepts it
// (suspense -> merchant, PAID with paid_amount) or refunds it (REFUND_PENDING, then REFUNDED when
// the manual refund is done: suspense -> clearing). A refund at the gateway reverses the payment,
// its fee with it (the merchant gives back the net it got); one the merchant's balance cannot
// cover waits in MANUAL_REVIEW until an operator accepts it once the merchant has the money.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "accounting/chart.hpp"
#include "core/asset.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "ledger/ledger.hpp"
#include "payins/charge_change.hpp"
#include "payins/fees.hpp"
#include "payins/gateway.hpp"
#include "payins/gateway_lanes.hpp"
#include "payins/model.hpp"
#include "payins/reconciliation.hpp"
#include "security/secret_box.hpp"
#include "store/connection_pool.hpp"

namespace cambista::payins {

// Builds an adapter for a gateway from (decrypted) credentials; the composition root binds the
// registry and the base URLs (real or sandbox). Errors are for people (no credentials in them).
using AdapterFactory = std::function<Result<std::unique_ptr<PayinGateway>, ChargeError>(
    std::string_view gateway, const Credentials& credentials)>;

// The associated data of a tenant's sealed credentials for a gateway
// (gateway_credentials.credentials_sealed).
std::string CredentialContext(std::string_view tenant, std::string_view gateway);

// A tenant's stored credentials for a gateway, opened: kNoTenantGateway when none are stored,
// kCredentialsUnreadable when they do not open with `box` (another master key). The service's own
// way to them, and `cambista reconcile`'s.
Result<Credentials, ChargeError> LoadTenantCredentials(store::Connection& connection,
                                                       const SecretBox& box,
                                                       std::string_view tenant,
                                                       std::string_view gateway);

// One webhook delivery as the route received it.
struct IncomingWebhook {
  std::string_view gateway;
  std::string_view tenant;  // from the URL; empty when the URL had none
  std::string_view token;   // from the URL; empty when the URL had none
  WebhookRequest request;
  std::string_view source_address;
};

struct IngestResult {
  int status = 200;     // HTTP status for the gateway
  std::string outcome;  // applied, confirming, duplicate, stale, ignored, ...
  std::string code;     // problem code when status >= 400
  std::string detail;
  std::string charge_id;
};

// What a confirmation (the `charges.confirm` job) came to.
struct ConfirmOutcome {
  bool done = true;
  int64_t retry_after_ms = 0;  // when !done: 0 lets the job queue's backoff decide
  std::string error;
};

struct ChargeServiceOptions {
  // Gateways post webhooks to <this>/webhooks/<gateway>/<tenant>/<token>; asked per charge (the
  // port may be known only once the server listens).
  std::function<std::string()> public_base_url;
  int64_t expires_in_seconds_max = 7 * 24 * 3600;
  // A creation gives up trying further gateways after this long; a CREATING row older than
  // creating_stale_ms was left by a process that stopped (keep it above the deadline).
  int64_t creation_deadline_ms = 45'000;
  int64_t creating_stale_ms = 90'000;
  int event_delivery_attempts_max = 12;
  // Called after a confirmation job is committed, so that a worker takes it at once (the job
  // queue's Wake); unset: the workers find it at their next poll.
  std::function<void()> wake_jobs;
  // Gateway fees where the gateway does not report them, by gateway name.
  std::map<std::string, FeeSchedule, std::less<>> fees;
  // A charge whose gateway could not say its status is asked again after this, doubling per
  // failure up to check_backoff_max_ms, so a gateway that is down never holds up the others.
  int64_t check_backoff_base_ms = 30'000;
  int64_t check_backoff_max_ms = 3'600'000;
};

struct IngestCounters {
  std::atomic<uint64_t> invalid_token{0};
  std::atomic<uint64_t> bad_signature{0};
  std::atomic<uint64_t> malformed{0};
  std::atomic<uint64_t> duplicates{0};
  std::atomic<uint64_t> applied{0};
  std::atomic<uint64_t> confirming{0};
};

inline constexpr std::string_view kConfirmJobKind = "charges.confirm";
// The most a BR Code can carry (field 54: 13 characters, "9999999999.99").
inline constexpr i128 kBrCodeAmountMaxMinor = 999'999'999'999;

class ChargeService {
 public:
  using CreateDone = std::function<void(Result<Charge, ChargeError>)>;

  ChargeService(store::Database& database, ledger::Ledger& ledger, accounting::Chart& chart,
                const AssetRegistry& assets, const SecretBox& box, const Clock& clock,
                AdapterFactory factory, GatewayLanes& lanes, ChargeServiceOptions options);

  // Stores (replaces) a tenant's credentials and bounds for a gateway, sealed; builds the adapter
  // first so that missing or malformed credentials are refused.
  Result<GatewaySetting, ChargeError> SetGateway(std::string_view tenant, std::string_view gateway,
                                                 const Credentials& credentials, int64_t priority,
                                                 const BoundsText& bounds = {});
  std::vector<GatewaySetting> Gateways(std::string_view tenant);

  // Creates a charge; `done` is called once, on a gateway lane's thread or on this one. The
  // failures: 400/422 for the request itself (amount_out_of_range names the bounds), 422
  // gateway_refused when every gateway refused it, 502 gateway_failed otherwise, 409
  // charge_creating while a creation under the same key is still in flight.
  void CreateAsync(std::string_view tenant, std::string_view idempotency_key,
                   const NewCharge& request, CreateDone done);
  // The same, waiting for the answer.
  Result<Charge, ChargeError> Create(std::string_view tenant, std::string_view idempotency_key,
                                     const NewCharge& request);

  std::optional<Charge> Get(std::string_view tenant, std::string_view id);
  std::optional<std::vector<ChargeHistoryEntry>> History(std::string_view tenant,
                                                         std::string_view id);
  // Newest first; `before_id` is the cursor (ids grow with time).
  std::vector<Charge> List(std::string_view tenant, std::optional<ChargeStatus> status,
                           std::optional<std::string_view> gateway,
                           std::optional<std::string_view> before_id, int limit);

  // Whether `gateway` names a gateway Cambista has an adapter for (whatever the tenant).
  bool KnowsGateway(std::string_view gateway) const;
  // POST /webhooks/<gateway>/<tenant>/<token>. Never throws for bad input. A delivery for a
  // gateway Cambista does not know is 404 and not recorded (the route's name is the caller's to
  // choose: recording it would let anyone fill the disk past the rate limit).
  IngestResult Ingest(const IncomingWebhook& webhook);
  // Our charges at `gateway` created since since_ms against the gateway's status API, each with
  // its tenant's credentials (payins/reconciliation.hpp); with `emit_events`, each mismatch is a
  // reconciliation.mismatch event on the charges channel to the charge's tenant.
  ChargeReconciliation Reconcile(std::string_view gateway, int64_t since_ms, bool emit_events);
  // The `charges.confirm` job (its payload names the charge): asks the charge's gateway and
  // applies what it says.
  ConfirmOutcome Confirm(std::string_view job_payload);

  // A charge nobody should pay any more (its trade was cancelled), in the caller's transaction: a
  // PENDING charge becomes EXPIRED here (the gateway's is left to expire there), so that a payment
  // that still arrives goes to review (paid after close) with the money in suspense, not to the
  // merchant. Returns the charge as it then is (whatever its state); nullopt when the tenant has
  // no such charge.
  std::optional<Charge> CloseInTransaction(store::Connection& tx, std::string_view tenant,
                                           std::string_view id, std::string_view actor,
                                           std::string_view reason);
  // An operator resolves a charge in MANUAL_REVIEW (accept, refund) or REFUND_PENDING (refunded).
  Result<Charge, ChargeError> Resolve(std::string_view tenant, std::string_view id,
                                      Resolution action, std::string_view reason,
                                      std::string_view actor);

  // One batch of the `charges.expire` job: PENDING charges past their expiry (at most `limit`),
  // oldest check first: asks the gateway where it can (a payment whose webhook was lost is
  // applied), then expires them; one whose gateway cannot answer is asked again later, with
  // backoff, after the others. Returns how many it found (fewer than `limit`: none left).
  int ExpireDue(int limit);
  // One batch of the `charges.recover` job: CREATING charges left by a crash (at most `limit`)
  // become FAILED. Returns how many it found.
  int RecoverCreating(int limit);

  // Told of every change of a charge's state (trading follows the charges of its trades):
  // `changed` inside the change's transaction, `committed` after it commits. Set before the
  // server starts.
  struct Observer {
    std::function<void(store::Connection& tx, const Charge& charge)> changed;
    std::function<void()> committed;
  };
  void Observe(Observer observer) { observer_ = std::move(observer); }

  std::vector<ChargeStatsRow> Stats(std::string_view tenant);
  std::vector<std::pair<std::string, ChargeStatsRow>> AllStats();
  const IngestCounters& counters() const { return counters_; }
  GatewayLanes& lanes() { return lanes_; }

 private:
  struct Attempt;

  // One adapter per (tenant, gateway), kept while its credentials are unchanged: adapters hold
  // per-account state (SyncPay's token, PushinPay's status limit) and are thread-safe.
  struct Cached {
    int64_t updated_at_ms = 0;
    std::shared_ptr<PayinGateway> gateway;
  };
  Result<std::shared_ptr<PayinGateway>, ChargeError> Adapter(store::Connection& connection,
                                                             std::string_view tenant,
                                                             std::string_view gateway);
  void EnsureAccounts(std::string_view tenant, std::string_view gateway, std::string_view currency);

  // Creation (charge_creation.cpp).
  Result<std::vector<std::string>, ChargeError> EligibleGateways(store::Connection& connection,
                                                                 std::string_view tenant,
                                                                 const NewCharge& request);
  std::optional<Result<Charge, ChargeError>> Existing(store::Connection& connection,
                                                      std::string_view tenant,
                                                      std::string_view idempotency_key);
  void TryNext(const std::shared_ptr<Attempt>& attempt);
  void TryGateway(const std::shared_ptr<Attempt>& attempt, const std::string& gateway);
  void Finish(const std::shared_ptr<Attempt>& attempt, const std::string& gateway,
              std::optional<CreatedCharge> created);
  Charge FailCreating(store::Connection& connection, const Charge& charge, std::string_view why);
  void RecordFailure(std::string_view tenant, std::string_view gateway, std::string_view currency,
                     std::string_view error);

  // Webhooks (charge_webhooks.cpp).
  IngestResult Refuse(const IncomingWebhook& webhook, const std::optional<Charge>& charge,
                      int status, std::string_view code, std::string detail, bool verified);
  IngestResult ApplyWebhook(const IncomingWebhook& webhook, const Charge& charge,
                            const WebhookEvent& event, Proof proof);
  IngestResult QueueConfirmation(const IncomingWebhook& webhook, const Charge& charge,
                                 const WebhookEvent& event);

  // Changes (charge_changes.cpp).
  std::optional<ChargeChange> Decide(const Charge& charge, GatewayStatus status,
                                     std::optional<i128> amount, std::optional<i128> fee,
                                     Proof proof) const;
  // Applies `change` to the (locked) charge inside `tx`: ledger, state, history, counters, event.
  // Returns the charge as it now is.
  Charge Apply(store::Connection& tx, const Charge& charge, ChargeChange change,
               std::string_view actor, std::string_view detail);
  bool Book(store::Connection& tx, const Charge& charge, const ChargeChange& change);
  i128 FeeFor(std::string_view gateway, i128 amount) const;
  void Committed() const {
    if (observer_.committed) observer_.committed();
  }
  int64_t CheckBackoff(int failures) const;

  store::ConnectionPool pool_;
  ledger::Ledger& ledger_;
  accounting::Chart& chart_;
  const AssetRegistry& assets_;
  const SecretBox& box_;
  const Clock& clock_;
  AdapterFactory factory_;
  GatewayLanes& lanes_;
  ChargeServiceOptions options_;
  IngestCounters counters_;
  Observer observer_;
  std::mutex cache_mutex_;
  std::map<std::string, Cached, std::less<>> cache_;  // "<tenant>\n<gateway>"
};

}  // namespace cambista::payins
