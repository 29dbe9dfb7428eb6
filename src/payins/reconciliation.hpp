// Reconciliation of charges: each of our charges at a gateway, created since a time, against what
// the gateway's status API says of it now. None of the gateways we serve publishes a list of its
// transactions, so a charge the gateway holds and we never made cannot be found this way
// (missing_here is never reported here); a gateway without a status API (WiinPay) cannot be
// reconciled at all. Differences are reported, never repaired: money is never changed
// automatically. What counts as a mismatch (events/reconciliation_mismatch.hpp):
//
//   missing_at_provider  the gateway answers 404 for the id it gave us
//   status_differs       paid there and not booked here (PENDING, EXPIRED, FAILED: money came in
//                        that nobody was credited), or booked here and not paid there (PAID here,
//                        PENDING, EXPIRED or FAILED there), or refunded there while PAID here. A
//                        charge in MANUAL_REVIEW is an operator's already and is not reported.
//   amount_differs       paid on both sides, another amount
//
// A charge the gateway cannot be asked about now (rate limit, timeout, 5xx) is counted unchecked.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "core/asset.hpp"
#include "core/result.hpp"
#include "events/reconciliation_mismatch.hpp"
#include "payins/gateway.hpp"
#include "payins/model.hpp"
#include "store/database.hpp"

namespace cambista::payins {

// Pure: one charge against the gateway's answer; nullopt when they agree or the answer says
// nothing (an error other than 404). `asset` is the charge's currency.
std::optional<events::Mismatch> CompareCharge(const Charge& ours,
                                              const Result<StatusReport, GatewayError>& theirs,
                                              const Asset& asset);

struct ChargeReconciliation {
  std::vector<events::Mismatch> mismatches;
  int checked = 0;
  int unchecked = 0;  // the gateway could not be asked (rate limit, unavailable, no credentials)
};

// The tenant's adapter for the gateway being reconciled.
using TenantGateway = std::function<Result<std::shared_ptr<PayinGateway>, ChargeError>(
    store::Connection& connection, std::string_view tenant)>;

// Every charge at `gateway` created at or after since_ms that the gateway gave an id, a page at a
// time, each asked of its tenant's adapter.
ChargeReconciliation ReconcileCharges(store::Connection& connection, std::string_view gateway,
                                      const TenantGateway& adapter, const AssetRegistry& assets,
                                      int64_t since_ms);

}  // namespace cambista::payins
