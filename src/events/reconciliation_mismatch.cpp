#include "events/reconciliation_mismatch.hpp"

#include <boost/json.hpp>

#include "events/event_outbox.hpp"

namespace cambista::events {

std::string MismatchJson(const Mismatch& m) {
  const auto text = [](const std::string& value) -> boost::json::value {
    if (value.empty()) return nullptr;
    return boost::json::string(value);
  };
  boost::json::object out;
  out["kind"] = m.kind;
  out["provider"] = m.provider;
  out["reference"] = m.reference;
  out["payout_id"] = text(m.payout_id);
  out["charge_id"] = text(m.charge_id);
  out["tenant"] = text(m.tenant);
  out["ours_status"] = text(m.ours_status);
  out["theirs_status"] = text(m.theirs_status);
  out["ours_amount"] = text(m.ours_amount);
  out["theirs_amount"] = text(m.theirs_amount);
  return boost::json::serialize(out);
}

void EmitMismatches(store::Connection& connection, const Clock& clock,
                    std::span<const Mismatch> mismatches, std::string_view channel,
                    int attempts_max) {
  store::Transaction tx(connection, store::TransactionMode::kWrite);
  for (const Mismatch& m : mismatches) {
    if (m.tenant.empty()) continue;
    EmitEvent(connection, clock,
              {m.tenant, std::string(kMismatchEventType), std::string(channel), MismatchJson(m)},
              attempts_max);
  }
  tx.Commit();
}

}  // namespace cambista::events
