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

// ---- 15: payouts -----------------------------------------------------------------------------
// Payouts with their destination (the normal form, as saved destinations hold it) and history.
// provider_reference is unique per provider: a payout reaches its provider under one key only.
constexpr std::string_view kPayoutsSqlite = R"sql(
CREATE TABLE payouts (
  tenant TEXT NOT NULL,
  id TEXT NOT NULL,
  customer_id TEXT NOT NULL,
  provider TEXT NOT NULL,
  asset TEXT NOT NULL,
  amount TEXT NOT NULL,
  kind INTEGER NOT NULL,
  network INTEGER NOT NULL,
  address TEXT NOT NULL,
  pix_key_kind INTEGER NOT NULL,
  pix_key TEXT NOT NULL,
  bank TEXT NOT NULL,
  account TEXT NOT NULL,
  document TEXT NOT NULL,
  document_kind INTEGER NOT NULL,
  origin INTEGER NOT NULL,
  reference TEXT NOT NULL,
  provider_reference TEXT NOT NULL,
  provider_id TEXT NOT NULL,
  status INTEGER NOT NULL,
  txid TEXT NOT NULL,
  commission TEXT,
  failure_reason TEXT NOT NULL,
  created_by TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL,
  unknown_since_ms INTEGER NOT NULL,
  PRIMARY KEY (tenant, id),
  UNIQUE (provider, provider_reference),
  UNIQUE (tenant, idempotency_key)
) WITHOUT ROWID;
CREATE INDEX payouts_status ON payouts (tenant, status, id);
CREATE TABLE payout_history (
  tenant TEXT NOT NULL,
  payout_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  from_status INTEGER,
  to_status INTEGER NOT NULL,
  actor TEXT NOT NULL,
  reason TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  PRIMARY KEY (tenant, payout_id, seq)
) WITHOUT ROWID;
)sql";

constexpr std::string_view kPayoutsPostgres = R"sql(
CREATE TABLE payouts (
  tenant text NOT NULL,
  id text NOT NULL,
  customer_id text NOT NULL,
  provider text NOT NULL,
  asset text NOT NULL,
  amount numeric(39,0) NOT NULL,
  kind integer NOT NULL,
  network integer NOT NULL,
  address text NOT NULL,
  pix_key_kind integer NOT NULL,
  pix_key text NOT NULL,
  bank text NOT NULL,
  account text NOT NULL,
  document text NOT NULL,
  document_kind integer NOT NULL,
  origin integer NOT NULL,
  reference text NOT NULL,
  provider_reference text NOT NULL,
  provider_id text NOT NULL,
  status integer NOT NULL,
  txid text NOT NULL,
  commission numeric(39,0),
  failure_reason text NOT NULL,
  created_by text NOT NULL,
  idempotency_key text NOT NULL,
  created_at_ms bigint NOT NULL,
  updated_at_ms bigint NOT NULL,
  unknown_since_ms bigint NOT NULL,
  PRIMARY KEY (tenant, id),
  UNIQUE (provider, provider_reference),
  UNIQUE (tenant, idempotency_key)
);
CREATE INDEX payouts_status ON payouts (tenant, status, id);
CREATE TABLE payout_history (
  tenant text NOT NULL,
  payout_id text NOT NULL,
  seq integer NOT NULL,
  from_status integer,
  to_status integer NOT NULL,
  actor text NOT NULL,
  reason text NOT NULL,
  at_ms bigint NOT NULL,
  PRIMARY KEY (tenant, payout_id, seq)
);
)sql";

// ---- 16: treasury_sweeps ---------------------------------------------------------------------
// One row per provider, asset and sweep window: the last capacity read in the window and what was
// done with it. The primary key is what makes one credit per provider and window: the row is
// claimed (inserted or locked) in the transaction that holds the credit's payout and queues its
// sending, so a second run in the window, on any node, finds the credit and makes none.
constexpr std::string_view kSweepsSqlite = R"sql(
CREATE TABLE treasury_sweeps (
  provider TEXT NOT NULL,
  asset TEXT NOT NULL,
  window_start_ms INTEGER NOT NULL,
  id TEXT NOT NULL UNIQUE,
  tenant TEXT NOT NULL,
  available TEXT NOT NULL,
  processed_total TEXT,
  credited_total TEXT,
  ledger_available TEXT NOT NULL,
  outcome INTEGER NOT NULL,
  payout_id TEXT NOT NULL,
  amount TEXT NOT NULL,
  alerted INTEGER NOT NULL,
  checks INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL,
  PRIMARY KEY (provider, asset, window_start_ms)
) WITHOUT ROWID;
CREATE INDEX treasury_sweeps_tenant ON treasury_sweeps (tenant, id);
)sql";

constexpr std::string_view kSweepsPostgres = R"sql(
CREATE TABLE treasury_sweeps (
  provider text NOT NULL,
  asset text NOT NULL,
  window_start_ms bigint NOT NULL,
  id text NOT NULL UNIQUE,
  tenant text NOT NULL,
  available numeric(39,0) NOT NULL,
  processed_total numeric(39,0),
  credited_total numeric(39,0),
  ledger_available numeric(39,0) NOT NULL,
  outcome integer NOT NULL,
  payout_id text NOT NULL,
  amount numeric(39,0) NOT NULL,
  alerted integer NOT NULL,
  checks bigint NOT NULL,
  created_at_ms bigint NOT NULL,
  updated_at_ms bigint NOT NULL,
  PRIMARY KEY (provider, asset, window_start_ms)
);
CREATE INDEX treasury_sweeps_tenant ON treasury_sweeps (tenant, id);
)sql";

constexpr std::array kMigrations = {
    store::Migration{14, "payouts_customers", kCustomersSqlite, kCustomersPostgres},
    store::Migration{15, "payouts", kPayoutsSqlite, kPayoutsPostgres},
    store::Migration{16, "treasury_sweeps", kSweepsSqlite, kSweepsPostgres},
};

}  // namespace

std::span<const store::Migration> Migrations() {
  return kMigrations;
}

}  // namespace cambista::payouts
