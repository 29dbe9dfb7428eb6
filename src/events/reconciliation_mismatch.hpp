// A difference between our records and a provider's, found by reconciliation (payouts against a
// payout provider's list, charges against a gateway's status API): printed by `cambista reconcile`
// as one JSON line each, and emitted as the `data` of a `reconciliation.mismatch` event to the
// object's tenant. A mismatch is reported, never repaired: money is never changed automatically.
//
// kind: missing_at_provider | missing_here | status_differs | amount_differs (what each means is
// in payouts/reconciliation.hpp and payins/reconciliation.hpp).
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "store/database.hpp"

namespace cambista::events {

struct Mismatch {
  std::string kind;
  std::string provider;   // the payout provider or pay-in gateway: "heleket", "syncpay"
  std::string reference;  // the provider-side key: a payout's order_id, a charge's gateway id
  std::string payout_id;  // ours, when the mismatch is about a payout we hold
  std::string charge_id;  // ours, when it is about a charge we hold
  std::string tenant;     // empty when we hold nothing (missing_here)
  std::string ours_status;
  std::string theirs_status;  // the provider's own word
  std::string ours_amount;    // decimal text
  std::string theirs_amount;
};

// {"kind", "provider", "reference", "payout_id", "charge_id", "tenant", "ours_status",
// "theirs_status", "ours_amount", "theirs_amount"}: every member always there, null when empty.
std::string MismatchJson(const Mismatch& mismatch);

inline constexpr std::string_view kMismatchEventType = "reconciliation.mismatch";

// In one write transaction of its own: a reconciliation.mismatch event on `channel` ("payouts",
// "charges") to each mismatch's tenant; those without a tenant are only printed and logged.
void EmitMismatches(store::Connection& connection, const Clock& clock,
                    std::span<const Mismatch> mismatches, std::string_view channel,
                    int attempts_max);

}  // namespace cambista::events
