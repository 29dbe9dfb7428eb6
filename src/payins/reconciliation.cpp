#include "payins/reconciliation.hpp"

#include <map>
#include <string>

#include "payins/store.hpp"

namespace cambista::payins {
namespace {

constexpr int kPageSize = 200;
constexpr int kNotFound = 404;

bool BookedHere(ChargeStatus status) {
  return status == ChargeStatus::kPaid || status == ChargeStatus::kRefundPending ||
         status == ChargeStatus::kRefunded;
}

bool StatusDiffers(ChargeStatus ours, GatewayStatus theirs) {
  switch (theirs) {
    case GatewayStatus::kPaid:
      return !BookedHere(ours) || ours == ChargeStatus::kRefunded;
    case GatewayStatus::kRefunded:
      return ours == ChargeStatus::kPaid;
    case GatewayStatus::kPending:
    case GatewayStatus::kExpired:
    case GatewayStatus::kFailed:
      return BookedHere(ours);
  }
  return false;
}

events::Mismatch Make(std::string kind, const Charge& ours, const Asset& asset) {
  events::Mismatch m;
  m.kind = std::move(kind);
  m.provider = ours.gateway;
  m.reference = ours.gateway_charge_id;
  m.charge_id = ours.id;
  m.tenant = ours.tenant;
  m.ours_status = ChargeStatusName(ours.status);
  m.ours_amount = Amount(ours.paid_amount.value_or(ours.amount), asset).ToString();
  return m;
}

}  // namespace

std::optional<events::Mismatch> CompareCharge(const Charge& ours,
                                              const Result<StatusReport, GatewayError>& theirs,
                                              const Asset& asset) {
  if (ours.status == ChargeStatus::kManualReview) return std::nullopt;
  if (!theirs.ok()) {
    const GatewayError& error = theirs.error();
    if (error.kind != GatewayError::Kind::kRejected || error.http_status != kNotFound) {
      return std::nullopt;
    }
    return Make("missing_at_provider", ours, asset);
  }
  const StatusReport& report = theirs.value();
  std::optional<events::Mismatch> found;
  if (StatusDiffers(ours.status, report.status)) {
    found = Make("status_differs", ours, asset);
  } else if (report.status == GatewayStatus::kPaid && report.amount && ours.paid_amount &&
             report.amount->minor() != *ours.paid_amount) {
    found = Make("amount_differs", ours, asset);
  }
  if (found) {
    found->theirs_status = report.raw_status.empty() ? std::string(GatewayStatusName(report.status))
                                                     : report.raw_status;
    if (report.amount) found->theirs_amount = report.amount->ToString();
  }
  return found;
}

ChargeReconciliation ReconcileCharges(store::Connection& connection, std::string_view gateway,
                                      const TenantGateway& adapter, const AssetRegistry& assets,
                                      int64_t since_ms) {
  ChargeReconciliation result;
  std::map<std::string, std::shared_ptr<PayinGateway>, std::less<>> adapters;
  std::string after;
  for (;;) {
    const std::vector<Charge> page =
        ChargeStore::AtGateway(connection, gateway, since_ms, after, kPageSize);
    for (const Charge& charge : page) {
      auto cached = adapters.find(charge.tenant);
      if (cached == adapters.end()) {  // once per tenant, a tenant without credentials too
        auto made = adapter(connection, charge.tenant);
        cached = adapters.emplace(charge.tenant, made.ok() ? made.value() : nullptr).first;
      }
      const auto asset = assets.Find(charge.currency);
      if (!cached->second || !asset.ok()) {
        ++result.unchecked;
        continue;
      }
      const auto theirs = cached->second->FetchStatus(charge.gateway_charge_id);
      const bool answered = theirs.ok() || (theirs.error().kind == GatewayError::Kind::kRejected &&
                                            theirs.error().http_status == kNotFound);
      ++(answered ? result.checked : result.unchecked);
      if (auto mismatch = CompareCharge(charge, theirs, asset.value())) {
        result.mismatches.push_back(std::move(*mismatch));
      }
    }
    if (static_cast<int>(page.size()) < kPageSize) break;
    after = page.back().id;
  }
  return result;
}

}  // namespace cambista::payins
