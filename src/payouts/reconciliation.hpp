// Reconciliation: our payouts at a provider against the provider's own list, by our reference
// (the provider's order_id / idEnvio). Differences are reported, never repaired: money is never
// changed automatically. What counts as a mismatch:
//
//   missing_at_provider  we sent it (SUBMITTED, CONFIRMED, or FAILED with a provider id) and the
//                        provider does not list it
//   missing_here         the provider lists a payout under a reference we never made
//   status_differs       CONFIRMED here but not paid there, or the reverse; final there while
//                        still open here (the tracker is behind, or lost the answer)
//   amount_differs       the provider sends another amount than ours
//
// `cambista reconcile` prints each as a JSON line; the daily job `payouts.reconcile` emits each as
// a `reconciliation.mismatch` event on the payouts channel to the payout's tenant
// (events/reconciliation_mismatch.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/asset.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "events/reconciliation_mismatch.hpp"
#include "payouts/model.hpp"
#include "payouts/provider.hpp"
#include "store/database.hpp"

namespace cambista::payouts {

using events::Mismatch;

// Pure: our payouts at `provider` against what it lists.
std::vector<Mismatch> ComparePayouts(std::string_view provider, const std::vector<Payout>& ours,
                                     const std::vector<ProviderPayout>& theirs,
                                     const AssetRegistry& assets);

struct ReconcileOptions {
  int64_t since_ms = 0;      // payouts created from then on, ours and theirs
  bool emit_events = false;  // reconciliation.mismatch to each payout's tenant
  int event_attempts_max = 8;
  int pages_max = 10'000;  // of the provider's list
};

// Reads our payouts, pages through the provider's list, compares.
Result<std::vector<Mismatch>, ProviderError> Reconcile(store::Database& database,
                                                       PayoutProvider& provider,
                                                       const AssetRegistry& assets,
                                                       const Clock& clock,
                                                       const ReconcileOptions& options);

}  // namespace cambista::payouts
