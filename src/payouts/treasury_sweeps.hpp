// Treasury sweeps (seed 000; docs/ARCHITECTURE.md, "A treasury sweep"): what the desk's pay-ins
// brought in at a provider that credits the desk's own bank account (BuhoPago:
// ProviderDescription::own_account_only) is credited to that account, once per provider and
// window. A periodic job (`treasury.sweep`, every `[treasury] sweep_interval_minutes`, 30 by
// default) calls RunOnce, which for each such provider:
//
//  1. reads its capacity (ReadCapacity: volume_available, volume_processed_total,
//     volume_credited_total), outside any transaction;
//  2. reads the provider's clearing account on the tenant's books (`[treasury] tenant`: where the
//     pay-ins that made that volume were booked, net of the gateway's fee), whose available
//     balance already leaves out any earlier credit still unresolved;
//  3. in one write transaction claims the window's row of `treasury_sweeps` (primary key provider,
//     asset, window; window = floor(now / interval)), records the reading, emits
//     `treasury.capacity_alert` when volume_available is at or above the asset's
//     `[treasury.capacity_alert]` level (once per provider and window), and, when the window has
//     no credit yet and min(volume_available, the books' available) is at least the minimum
//     withdrawal (the larger of `[treasury.min_withdrawal]` and the provider's own minimum),
//     makes a payout of origin `sweep` of that amount to the configured bank account:
//     PayoutService::HoldInTransaction stores it, holds it (clearing -> treasury:bank, pending)
//     and queues its sending, in the same transaction. A second run in the window, on this node
//     or another, finds the row's credit and makes none.
//
// The credit then goes the way of every payout (payouts/service.hpp): it reaches the provider at
// most once, under a reference fixed before the call (derived from provider, asset and window, so
// that the same window names the same credit at the provider whatever our database remembers);
// UNKNOWN before the call, resolved only by Fetch, MANUAL_REVIEW when unresolved too long;
// CONFIRMED posts the hold, FAILED voids it (and the next window sweeps again).
//
// Why the smaller of the provider's figure and the books': never credit more than both say is
// there. A credit still unresolved holds its amount on the clearing account, so its volume is not
// credited again while the provider's figure may still count it; a provider reporting more than
// the books (a pay-in the books never saw) is swept only up to what the books hold, and the row
// says `ledger_short` when that is below the minimum.
//
// Metrics (read from each provider's latest row at scrape time, so every node reports the same):
// cambista_provider_capacity_available, cambista_provider_capacity_processed_total and
// cambista_provider_capacity_credited_total (in the asset's major unit, labels provider and
// asset), and cambista_provider_capacity_utilization_ratio, seed 000's utilization rate:
// credited_total / processed_total, the share of what the provider processed that has reached
// the bank (absent before anything was processed).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/asset.hpp"
#include "core/clock.hpp"
#include "ledger/ledger.hpp"
#include "obs/metrics.hpp"
#include "payouts/model.hpp"
#include "payouts/service.hpp"
#include "store/connection_pool.hpp"

namespace cambista::payouts {

inline constexpr std::string_view kSweepJobKind = "treasury.sweep";
inline constexpr int64_t kSweepIntervalMsDefault = 30 * 60'000;
inline constexpr std::string_view kCapacityAlertEvent = "treasury.capacity_alert";

struct SweepOptions {
  bool enabled = false;
  std::string tenant = "default";  // whose books the sweeps post on
  int64_t interval_ms = kSweepIntervalMsDefault;
  Destination bank;  // the desk's bank account (ves_bank), validated
  // Per asset, minor units: at least this much (and the provider's own minimum) to credit.
  std::map<std::string, i128, std::less<>> min_withdrawal;
  // Per asset, minor units: volume_available at or above it emits treasury.capacity_alert.
  std::map<std::string, i128, std::less<>> capacity_alert;
  int event_attempts_max = 8;
};

// What one run did for one provider and asset.
enum class SweepRunResult : uint8_t {
  kCredited,      // this run made the window's credit
  kSweptAlready,  // the window had its credit
  kBelowMinimum,  // nothing to credit yet
  kLedgerShort,   // the provider has enough, the books show less than the minimum there
  kUnavailable,   // the provider's capacity could not be read
};
std::string_view SweepRunResultName(SweepRunResult result);  // "credited", "swept_already", ...

struct SweepRun {
  std::string provider;
  std::string asset;  // empty when the capacity could not be read
  SweepRunResult result = SweepRunResult::kBelowMinimum;
  std::string detail;  // for people
  std::optional<TreasurySweep> sweep;
};

// The provider-side reference of the sweep of `provider`'s `asset` in the window that starts at
// `window_start_ms`: 32 hex digits derived from the three.
std::string SweepReference(std::string_view provider, std::string_view asset,
                           int64_t window_start_ms);

class TreasurySweeps {
 public:
  TreasurySweeps(store::Database& database, ledger::Ledger& ledger, PayoutService& payouts,
                 const ProviderDirectory* providers, const AssetRegistry& assets,
                 const Clock& clock, SweepOptions options);

  const SweepOptions& options() const { return options_; }
  int64_t WindowStartMs(int64_t now_ms) const { return now_ms - now_ms % options_.interval_ms; }

  // Every provider that credits the desk's own account, in this window; nothing when disabled.
  // A provider the directory cannot give yet (the sandbox's, before the server listens) is a run
  // kUnavailable.
  std::vector<SweepRun> RunOnce();
  // The tenant's sweeps, newest first, before `before_id`.
  std::vector<TreasurySweep> List(std::string_view tenant, std::string_view before_id, int limit);
  // The capacity metrics (see above); once.
  void RegisterMetrics(obs::MetricsRegistry& metrics);

 private:
  struct Recorded {
    TreasurySweep sweep;
    SweepRunResult result = SweepRunResult::kBelowMinimum;
    std::optional<PayoutError> refused;  // the credit's hold was refused: nothing committed
    int64_t submit_job = 0;              // the credit's, to send once committed
  };

  std::optional<SweepRun> Sweep(PayoutProvider& provider, const ProviderCapacity& capacity);
  i128 BooksAvailable(std::string_view provider, std::string_view asset);
  Payout MakeCredit(std::string_view provider, const Asset& asset, i128 amount,
                    int64_t window_start_ms) const;
  Recorded Record(const TreasurySweep& reading, const Payout* credit, SweepOutcome otherwise);
  void Alert(store::Connection& tx, TreasurySweep& sweep);
  std::vector<TreasurySweep> Latest();
  int64_t UnitsPerMajor(std::string_view asset) const;

  store::ConnectionPool pool_;
  ledger::Ledger& ledger_;
  PayoutService& payouts_;
  const ProviderDirectory* providers_;
  const AssetRegistry& assets_;
  const Clock& clock_;
  const SweepOptions options_;
};

}  // namespace cambista::payouts
