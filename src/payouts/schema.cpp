// The payouts module's tables (payouts/store.cpp reads and writes them). Migrations are numbered in
// one sequence across modules; once on main a migration is never edited.
#include "payouts/schema.hpp"

#include <array>

namespace cambista::payouts {
namespace {

// ---- 14: payouts_customers -----------------------------------------------------------------
// The desk's customers (ids are the desk's), the destinations saved for them (the normal form of
// payouts/destination.hpp, one row per distinct place: `fingerprint`), and the deposits an
// operator records (unique per tenant and reference: recording one twice finds the first).
// Amounts are exact integers in minor units (TEXT on SQLite, numeric(39,0) on PostgreSQL).
constexpr std::string_view kCustomersSqlite = R"sql(
CREATE TABLE payout_customers (
  tenant TEXT NOT NULL,
  id TEXT NOT NULL,
  name TEXT NOT NULL,
  document TEXT NOT NULL,
  kyc_level INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL,
  PRIMARY KEY (tenant, id)
) WITHOUT ROWID;
CREATE TABLE payout_destinations (
  tenant TEXT NOT NULL,
  id TEXT NOT NULL,
  customer_id TEXT NOT NULL,
  kind INTEGER NOT NULL,
  network INTEGER NOT NULL,
  address TEXT NOT NULL,
  pix_key_kind INTEGER NOT NULL,
  pix_key TEXT NOT NULL,
  bank TEXT NOT NULL,
  account TEXT NOT NULL,
  document TEXT NOT NULL,
  document_kind INTEGER NOT NULL,
  fingerprint TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  PRIMARY KEY (tenant, id),
  UNIQUE (tenant, customer_id, fingerprint)
) WITHOUT ROWID;
CREATE INDEX payout_destinations_customer ON payout_destinations (tenant, customer_id, id);
CREATE TABLE treasury_deposits (
  tenant TEXT NOT NULL,
  id TEXT NOT NULL,
  account TEXT NOT NULL,
  asset TEXT NOT NULL,
  amount TEXT NOT NULL,
  reference TEXT NOT NULL,
  actor TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  PRIMARY KEY (tenant, id),
  UNIQUE (tenant, reference)
) WITHOUT ROWID;
)sql";

constexpr std::string_view kCustomersPostgres = R"sql(
CREATE TABLE payout_customers (
  tenant text NOT NULL,
  id text NOT NULL,
  name text NOT NULL,
  document text NOT NULL,
  kyc_level integer NOT NULL,
  created_at_ms bigint NOT NULL,
  updated_at_ms bigint NOT NULL,
  PRIMARY KEY (tenant, id)
);
CREATE TABLE payout_destinations (
  tenant text NOT NULL,
  id text NOT NULL,
  customer_id text NOT NULL,
  kind integer NOT NULL,
  network integer NOT NULL,
  address text NOT NULL,
  pix_key_kind integer NOT NULL,
  pix_key text NOT NULL,
  bank text NOT NULL,
  account text NOT NULL,
  document text NOT NULL,
  document_kind integer NOT NULL,
  fingerprint text NOT NULL,
  created_at_ms bigint NOT NULL,
  PRIMARY KEY (tenant, id),
  UNIQUE (tenant, customer_id, fingerprint)
);
CREATE INDEX payout_destinations_customer ON payout_destinations (tenant, customer_id, id);
CREATE TABLE treasury_deposits (
  tenant text NOT NULL,
  id text NOT NULL,
  account text NOT NULL,
  asset text NOT NULL,
  amount numeric(39,0) NOT NULL,
  reference text NOT NULL,
  actor text NOT NULL,
  created_at_ms bigint NOT NULL,
  PRIMARY KEY (tenant, id),
  UNIQUE (tenant, reference)
);
)sql";

constexpr std::array kMigrations = {
    store::Migration{14, "payouts_customers", kCustomersSqlite, kCustomersPostgres},
};

}  // namespace

std::span<const store::Migration> Migrations() {
  return kMigrations;
}

}  // namespace cambista::payouts
