#include "payouts/treasury_sweeps.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include "accounting/chart.hpp"
#include "core/assert.hpp"
#include "events/event_outbox.hpp"
#include "http/problem.hpp"
#include "ledger/ids.hpp"
#include "payouts/store.hpp"
#include "security/hmac.hpp"

namespace cambista::payouts {
namespace {

// Who a sweep's payout and its first history row name: the treasury, not an API key.
constexpr std::string_view kSweepActor = "treasury";
constexpr int64_t kBasisPointsPerUnit = 10'000;

// The provider's route for a credit of `asset` to the desk's kind of account, or nullptr.
const PayoutRoute* CreditRoute(const ProviderDescription& description, std::string_view asset,
                               DestinationKind kind) {
  for (const PayoutRoute& route : description.routes) {
    if (route.asset == asset && route.kind == kind) return &route;
  }
  return nullptr;
}

// A metric's sample from an amount of minor units: int64, never negative (a counter's rule, and a
// capacity below zero is a provider's error, not a figure).
int64_t Sample(i128 minor) {
  return static_cast<int64_t>(
      std::clamp<i128>(minor, 0, static_cast<i128>(std::numeric_limits<int64_t>::max())));
}

}  // namespace

std::string_view SweepRunResultName(SweepRunResult result) {
  switch (result) {
    case SweepRunResult::kCredited:
      return "credited";
    case SweepRunResult::kSweptAlready:
      return "swept_already";
    case SweepRunResult::kBelowMinimum:
      return "below_minimum";
    case SweepRunResult::kLedgerShort:
      return "ledger_short";
    case SweepRunResult::kUnavailable:
      return "unavailable";
  }
  return "unavailable";
}

std::string SweepReference(std::string_view provider, std::string_view asset,
                           int64_t window_start_ms) {
  const std::string digest = Sha256("cambista.sweep:" + std::string(provider) + ":" +
                                    std::string(asset) + ":" + std::to_string(window_start_ms));
  return HexEncode(std::string_view(digest).substr(0, 16));
}

TreasurySweeps::TreasurySweeps(store::Database& database, ledger::Ledger& ledger,
                               PayoutService& payouts, const ProviderDirectory* providers,
                               const AssetRegistry& assets, const Clock& clock,
                               SweepOptions options)
    : pool_(database),
      ledger_(ledger),
      payouts_(payouts),
      providers_(providers),
      assets_(assets),
      clock_(clock),
      options_(std::move(options)) {
  CAMBISTA_CHECK(options_.interval_ms > 0);
}

std::vector<SweepRun> TreasurySweeps::RunOnce() {
  std::vector<SweepRun> runs;
  if (!options_.enabled || providers_ == nullptr) return runs;
  for (const std::string& name : providers_->Names()) {
    PayoutProvider* provider = providers_->Find(name);
    if (provider == nullptr) {  // its own_account_only is unknown until it is: worth a retry
      runs.push_back(
          SweepRun{name, "", SweepRunResult::kUnavailable, "not set up yet", std::nullopt});
      continue;
    }
    if (!provider->Describe().own_account_only) continue;
    auto capacities = provider->ReadCapacity();
    if (!capacities.ok()) {
      runs.push_back(SweepRun{name, "", SweepRunResult::kUnavailable,
                              std::string(ProviderErrorKindName(capacities.error().kind)) + ": " +
                                  capacities.error().message,
                              std::nullopt});
      continue;
    }
    for (const ProviderCapacity& capacity : capacities.value()) {
      if (auto run = Sweep(*provider, capacity)) runs.push_back(std::move(*run));
    }
  }
  return runs;
}

// One asset of one provider: the reading, the books' view, and the window's row with its credit.
std::optional<SweepRun> TreasurySweeps::Sweep(PayoutProvider& provider,
                                              const ProviderCapacity& capacity) {
  const ProviderDescription& description = provider.Describe();
  const PayoutRoute* route = CreditRoute(description, capacity.asset, options_.bank.kind);
  auto asset = assets_.Find(capacity.asset);
  if (route == nullptr || !asset.ok()) return std::nullopt;  // not an asset it credits to us
  i128 minimum = route->minimum.minor();
  if (const auto configured = options_.min_withdrawal.find(capacity.asset);
      configured != options_.min_withdrawal.end()) {
    minimum = std::max(minimum, configured->second);
  }
  const int64_t now_ms = clock_.NowMs();
  TreasurySweep reading;
  reading.id = "sw_" + ToHex32(ledger::TimeOrderedId(clock_));
  reading.tenant = options_.tenant;
  reading.provider = description.name;
  reading.asset = capacity.asset;
  reading.window_start_ms = WindowStartMs(now_ms);
  reading.available = capacity.available.minor();
  if (capacity.processed_total) reading.processed_total = capacity.processed_total->minor();
  if (capacity.credited_total) reading.credited_total = capacity.credited_total->minor();
  reading.ledger_available = BooksAvailable(description.name, capacity.asset);
  reading.checks = 1;
  reading.created_at_ms = reading.updated_at_ms = now_ms;
  const i128 amount = std::min(reading.available, reading.ledger_available);
  const SweepOutcome otherwise =
      reading.available >= minimum ? SweepOutcome::kLedgerShort : SweepOutcome::kBelowMinimum;
  std::optional<Payout> credit;
  if (amount >= minimum && amount > 0) {
    credit = MakeCredit(description.name, asset.value(), amount, reading.window_start_ms);
    payouts_.PrepareAccounts(*credit);
  }
  Recorded recorded = Record(reading, credit ? &*credit : nullptr, otherwise);
  if (recorded.result == SweepRunResult::kCredited) payouts_.SendSoon(*credit, recorded.submit_job);
  std::string detail;
  if (recorded.refused) {
    // The books changed between the reading and the hold (a refund, a concurrent credit): the
    // window is recorded without a credit, and a later run may try again.
    detail = recorded.refused->detail;
    recorded = Record(reading, nullptr, SweepOutcome::kLedgerShort);
  }
  return SweepRun{description.name, capacity.asset, recorded.result, std::move(detail),
                  std::move(recorded.sweep)};
}

i128 TreasurySweeps::BooksAvailable(std::string_view provider, std::string_view asset) {
  const auto account = ledger_.LookupAccount(
      accounting::GatewayClearingAccount(options_.tenant, provider, asset).Id());
  return account ? std::max<i128>(accounting::BalancesOf(*account).available, 0) : 0;
}

Payout TreasurySweeps::MakeCredit(std::string_view provider, const Asset& asset, i128 amount,
                                  int64_t window_start_ms) const {
  Payout payout;
  payout.id = "po_" + ToHex32(ledger::TimeOrderedId(clock_));
  payout.tenant = options_.tenant;
  payout.provider = provider;
  payout.asset = asset.code();
  payout.amount = amount;
  payout.destination = options_.bank;
  payout.origin = PayoutOrigin::kSweep;
  payout.reference = "sweep:" + std::string(provider) + ":" + std::string(asset.code()) + ":" +
                     std::to_string(window_start_ms);
  payout.provider_reference = SweepReference(provider, asset.code(), window_start_ms);
  payout.status = PayoutStatus::kRequested;  // the desk's own money between its own accounts
  payout.created_by = kSweepActor;
  payout.idempotency_key = payout.reference;
  payout.created_at_ms = payout.updated_at_ms = clock_.NowMs();
  return payout;
}

// In one transaction: the window's row with this reading, the alert, and `credit` when the window
// has none yet. A refused hold commits nothing (`refused`).
TreasurySweeps::Recorded TreasurySweeps::Record(const TreasurySweep& reading, const Payout* credit,
                                                SweepOutcome otherwise) {
  auto connection = pool_.Acquire();
  store::Transaction tx(*connection, store::TransactionMode::kWrite);
  Recorded recorded;
  TreasurySweep& row = recorded.sweep;
  row = PayoutStore::ClaimSweep(*connection, reading);
  if (row.id != reading.id) {  // an earlier run's row: this is a later reading in the window
    row.available = reading.available;
    row.processed_total = reading.processed_total;
    row.credited_total = reading.credited_total;
    row.ledger_available = reading.ledger_available;
    row.updated_at_ms = reading.updated_at_ms;
    ++row.checks;
  }
  Alert(*connection, row);
  if (!row.payout_id.empty()) {
    recorded.result = SweepRunResult::kSweptAlready;
    if (auto payout = PayoutStore::FindPayout(*connection, row.tenant, row.payout_id, false)) {
      row.payout_status = payout->status;
    }
  } else if (credit != nullptr) {
    const auto held = payouts_.HoldInTransaction(*connection, *credit, kSweepActor);
    if (!held.ok()) {
      recorded.refused = held.error();
      return recorded;  // rolled back
    }
    recorded.submit_job = held.value();
    row.payout_id = credit->id;
    row.amount = credit->amount;
    row.outcome = SweepOutcome::kCredited;
    row.payout_status = credit->status;
    recorded.result = SweepRunResult::kCredited;
  } else {
    row.outcome = otherwise;
    recorded.result = otherwise == SweepOutcome::kLedgerShort ? SweepRunResult::kLedgerShort
                                                              : SweepRunResult::kBelowMinimum;
  }
  PayoutStore::UpdateSweep(*connection, row);
  tx.Commit();
  return recorded;
}

// treasury.capacity_alert, at most once per provider and window, in the row's transaction.
void TreasurySweeps::Alert(store::Connection& tx, TreasurySweep& sweep) {
  const auto level = options_.capacity_alert.find(sweep.asset);
  if (level == options_.capacity_alert.end() || sweep.alerted || sweep.available < level->second) {
    return;
  }
  const Asset asset = assets_.Find(sweep.asset).value();  // Sweep checked it
  const auto money = [&asset](i128 minor) {
    return http::JsonString(Amount(minor, asset).ToString());
  };
  const auto optional_money = [&money](const std::optional<i128>& minor) {
    return minor ? money(*minor) : std::string("null");
  };
  const std::string data = "{\"provider\":" + http::JsonString(sweep.provider) +
                           ",\"asset\":" + http::JsonString(sweep.asset) +
                           ",\"available\":" + money(sweep.available) +
                           ",\"level\":" + money(level->second) +
                           ",\"processed_total\":" + optional_money(sweep.processed_total) +
                           ",\"credited_total\":" + optional_money(sweep.credited_total) +
                           ",\"window_start_ms\":" + std::to_string(sweep.window_start_ms) + "}";
  events::EmitEvent(tx, clock_, {sweep.tenant, std::string(kCapacityAlertEvent), "payouts", data},
                    options_.event_attempts_max);
  sweep.alerted = true;
}

std::vector<TreasurySweep> TreasurySweeps::List(std::string_view tenant, std::string_view before_id,
                                                int limit) {
  auto connection = pool_.Acquire();
  return PayoutStore::ListSweeps(*connection, tenant, before_id, limit);
}

std::vector<TreasurySweep> TreasurySweeps::Latest() {
  auto connection = pool_.Acquire();
  return PayoutStore::LatestSweeps(*connection);
}

int64_t TreasurySweeps::UnitsPerMajor(std::string_view code) const {
  auto asset = assets_.Find(code);
  int64_t units = 1;
  for (int i = 0; asset.ok() && i < asset.value().scale(); ++i) units *= 10;  // scale <= 18
  return units;
}

void TreasurySweeps::RegisterMetrics(obs::MetricsRegistry& metrics) {
  const std::vector<std::string> labels = {"provider", "asset"};
  auto available = metrics.RegisterGaugeCollector(
      "cambista_provider_capacity_available",
      "What a provider can still credit to the desk's bank (its volume_available), at the last "
      "sweep's reading.",
      labels, [this](obs::CollectorSink& sink) {
        for (const TreasurySweep& s : Latest()) {
          sink.Report({s.provider, s.asset}, Sample(s.available), UnitsPerMajor(s.asset));
        }
      });
  // A provider's running total, where its last reading had one.
  const auto total = [this](std::optional<i128> TreasurySweep::*field) {
    return [this, field](obs::CollectorSink& sink) {
      for (const TreasurySweep& s : Latest()) {
        if (s.*field)
          sink.Report({s.provider, s.asset}, Sample(*(s.*field)), UnitsPerMajor(s.asset));
      }
    };
  };
  auto processed = metrics.RegisterCounterCollector(
      "cambista_provider_capacity_processed_total",
      "What a provider has processed for the desk (its volume_processed_total).", labels,
      total(&TreasurySweep::processed_total));
  auto credited = metrics.RegisterCounterCollector(
      "cambista_provider_capacity_credited_total",
      "What a provider has credited to the desk's bank (its volume_credited_total).", labels,
      total(&TreasurySweep::credited_total));
  auto utilization = metrics.RegisterGaugeCollector(
      "cambista_provider_capacity_utilization_ratio",
      "credited_total / processed_total: the share of what a provider processed that has reached "
      "the desk's bank.",
      labels, [this](obs::CollectorSink& sink) {
        for (const TreasurySweep& s : Latest()) {
          if (!s.processed_total || !s.credited_total || *s.processed_total <= 0) continue;
          const i128 basis_points = *s.credited_total * kBasisPointsPerUnit / *s.processed_total;
          sink.Report({s.provider, s.asset}, Sample(basis_points), kBasisPointsPerUnit);
        }
      });
  CAMBISTA_CHECK(available.ok() && processed.ok() && credited.ok() && utilization.ok());
}

}  // namespace cambista::payouts
