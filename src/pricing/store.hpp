// Every SQL statement of the pricing module, on both backends: the latest reference rate per pair
// (reference_rates) and the sources' observations (rate_observations). Rates travel as exact
// decimal text. One connection, opened on first use and reused (the poller is the only writer);
// a database error discards it and reaches the caller as store::Error.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "jobs/retention.hpp"
#include "store/database.hpp"

namespace cambista::pricing {

// A reference_rates row, as text.
struct StoredReference {
  std::string pair;
  std::string bid;
  std::string ask;
  std::string mid;
  std::string source;
  int64_t observed_at_ms = 0;
  int64_t updated_at_ms = 0;
};

struct StoredObservation {
  std::string pair;
  std::string source;
  std::string bid;
  std::string ask;
  int64_t observed_at_ms = 0;
};

class RateStore {
 public:
  // `event_attempts_max`: of rate.updated's deliveries (tenant "*", heard by every tenant's
  // stream subscribers; no webhook endpoint belongs to it).
  RateStore(store::Database& database, const Clock& clock, int event_attempts_max)
      : database_(database), clock_(clock), event_attempts_max_(event_attempts_max) {}

  std::vector<StoredReference> LoadReferences();
  // Writes the pair's row; when `changed` also emits rate.updated with `event_data` (a JSON
  // object), in the same transaction.
  void SaveReference(const StoredReference& reference, bool changed, const std::string& event_data);
  void AddObservations(const std::vector<StoredObservation>& observations, int64_t recorded_at_ms);

  // Observations go after retention.days (jobs/retention.hpp), by recorded_at_ms.
  static jobs::PurgeRule ObservationsRetentionRule();

 private:
  store::Connection& Connection();  // under mutex_

  store::Database& database_;
  const Clock& clock_;
  const int event_attempts_max_;
  std::mutex mutex_;
  std::unique_ptr<store::Connection> connection_;
};

}  // namespace cambista::pricing
