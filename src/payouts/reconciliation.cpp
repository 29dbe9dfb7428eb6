#include "payouts/reconciliation.hpp"

#include <map>

#include "payouts/store.hpp"

namespace cambista::payouts {
namespace {

std::string AmountText(const AssetRegistry& assets, std::string_view asset, i128 minor) {
  auto found = assets.Find(asset);
  return found.ok() ? Amount(minor, found.value()).ToString() : ToDecimal(minor);
}

bool Sent(const Payout& p) {
  return p.status == PayoutStatus::kSubmitted || p.status == PayoutStatus::kConfirmed ||
         (p.status == PayoutStatus::kFailed && !p.provider_id.empty());
}

// The provider's final word against ours; empty when they agree (or theirs is not final yet).
bool StatusDiffers(const Payout& ours, const ProviderPayout& theirs) {
  const bool paid = theirs.is_final && theirs.status == ProviderPayoutStatus::kPaid;
  if (ours.status == PayoutStatus::kConfirmed) return !paid;
  if (paid) return true;  // paid there, anything but CONFIRMED here
  const bool open_here = !IsFinal(ours.status);
  return theirs.is_final && open_here;
}

Mismatch Make(std::string kind, std::string_view provider, const Payout* ours,
              const ProviderPayout* theirs, const AssetRegistry& assets) {
  Mismatch m;
  m.kind = std::move(kind);
  m.provider = provider;
  if (ours != nullptr) {
    m.reference = ours->provider_reference;
    m.payout_id = ours->id;
    m.tenant = ours->tenant;
    m.ours_status = PayoutStatusName(ours->status);
    m.ours_amount = AmountText(assets, ours->asset, ours->amount);
  }
  if (theirs != nullptr) {
    m.reference = theirs->reference;
    m.theirs_status = theirs->raw_status;
    if (theirs->amount) m.theirs_amount = theirs->amount->ToString();
  }
  return m;
}

}  // namespace

std::vector<Mismatch> ComparePayouts(std::string_view provider, const std::vector<Payout>& ours,
                                     const std::vector<ProviderPayout>& theirs,
                                     const AssetRegistry& assets) {
  std::map<std::string, const ProviderPayout*, std::less<>> listed;
  for (const ProviderPayout& payout : theirs) listed[payout.reference] = &payout;
  std::vector<Mismatch> mismatches;
  for (const Payout& payout : ours) {
    const auto it = listed.find(payout.provider_reference);
    if (it == listed.end()) {
      if (Sent(payout)) {
        mismatches.push_back(Make("missing_at_provider", provider, &payout, nullptr, assets));
      }
      continue;
    }
    const ProviderPayout& there = *it->second;
    listed.erase(it);
    if (StatusDiffers(payout, there)) {
      mismatches.push_back(Make("status_differs", provider, &payout, &there, assets));
    }
    if (there.amount && there.amount->minor() != payout.amount) {
      mismatches.push_back(Make("amount_differs", provider, &payout, &there, assets));
    }
  }
  for (const auto& [reference, there] : listed) {
    mismatches.push_back(Make("missing_here", provider, nullptr, there, assets));
  }
  return mismatches;
}

Result<std::vector<Mismatch>, ProviderError> Reconcile(store::Database& database,
                                                       PayoutProvider& provider,
                                                       const AssetRegistry& assets,
                                                       const Clock& clock,
                                                       const ReconcileOptions& options) {
  std::vector<ProviderPayout> theirs;
  std::string cursor;
  for (int page = 0; page < options.pages_max; ++page) {
    auto listed = provider.List(options.since_ms, cursor);
    if (!listed.ok()) return Failure(listed.error());
    for (ProviderPayout& payout : listed.value().payouts) theirs.push_back(std::move(payout));
    cursor = listed.value().next_cursor;
    if (cursor.empty()) break;
  }
  const std::string name = provider.Describe().name;
  auto connection = database.Connect();
  const std::vector<Payout> ours =
      PayoutStore::ListPayoutsAtProvider(*connection, name, options.since_ms);
  std::vector<Mismatch> mismatches = ComparePayouts(name, ours, theirs, assets);
  if (options.emit_events) {
    events::EmitMismatches(*connection, clock, mismatches, "payouts", options.event_attempts_max);
  }
  return mismatches;
}

}  // namespace cambista::payouts
