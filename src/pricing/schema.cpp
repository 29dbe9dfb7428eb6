// The pricing module's tables (pricing/store.cpp reads and writes them). Migrations are numbered
// in one sequence across modules; once on main a migration is never edited.
#include "pricing/schema.hpp"

#include <array>

namespace cambista::pricing {
namespace {

// ---- 17: reference_rates -------------------------------------------------------------------
// The latest reference rate of each pair (what a restart serves until its sources answer, within
// max_age), and the sources' observations behind them, for the audit of a quote's price; those
// are purged after retention.days (by recorded_at_ms, our clock). Rates are exact decimal text in
// major units ("5.43"), as Rate::ToString writes them.
constexpr std::string_view kRatesSqlite = R"sql(
CREATE TABLE reference_rates (
  pair TEXT NOT NULL PRIMARY KEY,
  bid TEXT NOT NULL,
  ask TEXT NOT NULL,
  mid TEXT NOT NULL,
  source TEXT NOT NULL,
  observed_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE rate_observations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  pair TEXT NOT NULL,
  source TEXT NOT NULL,
  bid TEXT NOT NULL,
  ask TEXT NOT NULL,
  observed_at_ms INTEGER NOT NULL,
  recorded_at_ms INTEGER NOT NULL
);
CREATE INDEX rate_observations_recorded ON rate_observations (recorded_at_ms);
CREATE INDEX rate_observations_pair ON rate_observations (pair, observed_at_ms);
)sql";

constexpr std::string_view kRatesPostgres = R"sql(
CREATE TABLE reference_rates (
  pair text NOT NULL PRIMARY KEY,
  bid text NOT NULL,
  ask text NOT NULL,
  mid text NOT NULL,
  source text NOT NULL,
  observed_at_ms bigint NOT NULL,
  updated_at_ms bigint NOT NULL
);
CREATE TABLE rate_observations (
  id bigserial PRIMARY KEY,
  pair text NOT NULL,
  source text NOT NULL,
  bid text NOT NULL,
  ask text NOT NULL,
  observed_at_ms bigint NOT NULL,
  recorded_at_ms bigint NOT NULL
);
CREATE INDEX rate_observations_recorded ON rate_observations (recorded_at_ms);
CREATE INDEX rate_observations_pair ON rate_observations (pair, observed_at_ms);
)sql";

constexpr std::array kMigrations = {
    store::Migration{17, "reference_rates", kRatesSqlite, kRatesPostgres},
};

}  // namespace

std::span<const store::Migration> Migrations() {
  return kMigrations;
}

}  // namespace cambista::pricing
