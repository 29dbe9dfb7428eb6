#include "pricing/store.hpp"

#include "events/event_outbox.hpp"

namespace cambista::pricing {
namespace {

// events::kAllTenants (events/stream.hpp): market-wide news, heard by every tenant's subscribers.
constexpr std::string_view kAllTenants = "*";

// Discards the connection when a statement fails, so that the next call opens a good one.
template <typename Work>
auto Guarded(std::unique_ptr<store::Connection>& connection, Work&& work) {
  try {
    return work();
  } catch (const store::Error&) {
    connection.reset();
    throw;
  }
}

}  // namespace

store::Connection& RateStore::Connection() {
  if (!connection_) connection_ = database_.Connect();
  return *connection_;
}

std::vector<StoredReference> RateStore::LoadReferences() {
  std::lock_guard lock(mutex_);
  return Guarded(connection_, [&] {
    std::vector<StoredReference> rows;
    Connection().Query(
        "SELECT pair, bid, ask, mid, source, observed_at_ms, updated_at_ms FROM reference_rates "
        "ORDER BY pair",
        {}, [&rows](const store::Row& row) {
          rows.push_back(StoredReference{std::string(row.Text(0)), std::string(row.Text(1)),
                                         std::string(row.Text(2)), std::string(row.Text(3)),
                                         std::string(row.Text(4)), row.Int64(5), row.Int64(6)});
        });
    return rows;
  });
}

void RateStore::SaveReference(const StoredReference& reference, bool changed,
                              const std::string& event_data) {
  std::lock_guard lock(mutex_);
  Guarded(connection_, [&] {
    store::Transaction tx(Connection(), store::TransactionMode::kWrite);
    tx.connection().Execute(
        "INSERT INTO reference_rates (pair, bid, ask, mid, source, observed_at_ms, updated_at_ms) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (pair) DO UPDATE SET bid = excluded.bid, "
        "ask = excluded.ask, mid = excluded.mid, source = excluded.source, "
        "observed_at_ms = excluded.observed_at_ms, updated_at_ms = excluded.updated_at_ms",
        {std::string_view(reference.pair), std::string_view(reference.bid),
         std::string_view(reference.ask), std::string_view(reference.mid),
         std::string_view(reference.source), reference.observed_at_ms, reference.updated_at_ms});
    if (changed) {
      events::EmitEvent(tx.connection(), clock_,
                        {std::string(kAllTenants), "rate.updated", "rates", event_data},
                        event_attempts_max_);
    }
    tx.Commit();
  });
}

void RateStore::AddObservations(const std::vector<StoredObservation>& observations,
                                int64_t recorded_at_ms) {
  if (observations.empty()) return;
  std::lock_guard lock(mutex_);
  Guarded(connection_, [&] {
    store::Transaction tx(Connection(), store::TransactionMode::kWrite);
    for (const StoredObservation& o : observations) {
      tx.connection().Execute(
          "INSERT INTO rate_observations (pair, source, bid, ask, observed_at_ms, recorded_at_ms) "
          "VALUES ($1, $2, $3, $4, $5, $6)",
          {std::string_view(o.pair), std::string_view(o.source), std::string_view(o.bid),
           std::string_view(o.ask), o.observed_at_ms, recorded_at_ms});
    }
    tx.Commit();
  });
}

jobs::PurgeRule RateStore::ObservationsRetentionRule() {
  jobs::PurgeRule rule;
  rule.table = "rate_observations";
  rule.key_column = "id";
  rule.time_column = "recorded_at_ms";
  return rule;
}

}  // namespace cambista::pricing
