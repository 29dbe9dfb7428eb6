// The pay-ins' tables: gateway credentials, charges and their history, webhook deliveries and
// statistics. Migration 8 also starts the chart of accounts (ledger_chart, accounting/chart.cpp)
// from the account names the pay-ins had kept.
// Migrations are numbered in one sequence across modules (app/modules.cpp gathers them); once on
// main a migration is never edited: change the schema by appending a new one.
#include <array>

#include "payins/schema.hpp"

namespace cambista::payins {
namespace {

// ---- 7: pay-ins ------------------------------------------------------------------------------
// Merchants' gateway credentials (sealed with the master key; `tenant_hint` is a public identifier
// such as ÁtomoPay's producer hash, to find the tenant of a webhook), charges with their history,
// the raw webhook deliveries received from gateways (deduplicated per gateway and event), counters
// per tenant and gateway for the statistics, and names of ledger accounts.
constexpr std::string_view kPayinsSqlite = R"sql(
CREATE TABLE gateway_credentials (
  tenant TEXT NOT NULL,
  gateway TEXT NOT NULL,
  currency TEXT NOT NULL,
  priority INTEGER NOT NULL,
  credentials_sealed BLOB NOT NULL,
  tenant_hint TEXT,
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL,
  PRIMARY KEY (tenant, gateway)
);
CREATE INDEX gateway_credentials_hint ON gateway_credentials (gateway, tenant_hint);
CREATE TABLE charges (
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  gateway TEXT,
  gateway_charge_id TEXT,
  provider_hash TEXT,
  reference TEXT NOT NULL,
  status TEXT NOT NULL,
  currency TEXT NOT NULL,
  amount TEXT NOT NULL,
  paid_amount TEXT,
  description TEXT NOT NULL,
  customer TEXT NOT NULL,
  pix_code TEXT,
  payment_instructions TEXT,
  expires_at_ms INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL,
  paid_at_ms INTEGER,
  last_error TEXT,
  UNIQUE (tenant, idempotency_key)
);
CREATE INDEX charges_tenant ON charges (tenant, id);
CREATE INDEX charges_reference ON charges (tenant, reference);
CREATE INDEX charges_gateway_id ON charges (gateway, gateway_charge_id);
CREATE INDEX charges_gateway_hash ON charges (gateway, provider_hash);
CREATE INDEX charges_due ON charges (status, expires_at_ms);
CREATE TABLE charge_history (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  charge_id TEXT NOT NULL,
  from_status TEXT,
  to_status TEXT NOT NULL,
  actor TEXT NOT NULL,
  reason TEXT NOT NULL,
  at_ms INTEGER NOT NULL
);
CREATE INDEX charge_history_charge ON charge_history (charge_id, id);
CREATE TABLE gateway_webhooks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  gateway TEXT NOT NULL,
  tenant TEXT,
  event_id TEXT NOT NULL,
  body BLOB NOT NULL,
  outcome TEXT NOT NULL,
  charge_id TEXT,
  received_at_ms INTEGER NOT NULL,
  UNIQUE (gateway, event_id)
);
CREATE TABLE charge_stats (
  tenant TEXT NOT NULL,
  gateway TEXT NOT NULL,
  currency TEXT NOT NULL,
  created INTEGER NOT NULL,
  paid INTEGER NOT NULL,
  volume_paid TEXT NOT NULL,
  failures INTEGER NOT NULL,
  last_error TEXT,
  last_error_at_ms INTEGER,
  PRIMARY KEY (tenant, gateway, currency)
);
CREATE TABLE account_names (
  name TEXT PRIMARY KEY,
  account_id BLOB NOT NULL
);
)sql";

constexpr std::string_view kPayinsPostgres = R"sql(
CREATE TABLE gateway_credentials (
  tenant text NOT NULL,
  gateway text NOT NULL,
  currency text NOT NULL,
  priority integer NOT NULL,
  credentials_sealed bytea NOT NULL,
  tenant_hint text,
  created_at_ms bigint NOT NULL,
  updated_at_ms bigint NOT NULL,
  PRIMARY KEY (tenant, gateway)
);
CREATE INDEX gateway_credentials_hint ON gateway_credentials (gateway, tenant_hint);
CREATE TABLE charges (
  id text PRIMARY KEY,
  tenant text NOT NULL,
  idempotency_key text NOT NULL,
  gateway text,
  gateway_charge_id text,
  provider_hash text,
  reference text NOT NULL,
  status text NOT NULL,
  currency text NOT NULL,
  amount numeric(39,0) NOT NULL,
  paid_amount numeric(39,0),
  description text NOT NULL,
  customer text NOT NULL,
  pix_code text,
  payment_instructions text,
  expires_at_ms bigint NOT NULL,
  created_at_ms bigint NOT NULL,
  updated_at_ms bigint NOT NULL,
  paid_at_ms bigint,
  last_error text,
  UNIQUE (tenant, idempotency_key)
);
CREATE INDEX charges_tenant ON charges (tenant, id);
CREATE INDEX charges_reference ON charges (tenant, reference);
CREATE INDEX charges_gateway_id ON charges (gateway, gateway_charge_id);
CREATE INDEX charges_gateway_hash ON charges (gateway, provider_hash);
CREATE INDEX charges_due ON charges (status, expires_at_ms);
CREATE TABLE charge_history (
  id bigserial PRIMARY KEY,
  charge_id text NOT NULL,
  from_status text,
  to_status text NOT NULL,
  actor text NOT NULL,
  reason text NOT NULL,
  at_ms bigint NOT NULL
);
CREATE INDEX charge_history_charge ON charge_history (charge_id, id);
CREATE TABLE gateway_webhooks (
  id bigserial PRIMARY KEY,
  gateway text NOT NULL,
  tenant text,
  event_id text NOT NULL,
  body bytea NOT NULL,
  outcome text NOT NULL,
  charge_id text,
  received_at_ms bigint NOT NULL,
  UNIQUE (gateway, event_id)
);
CREATE TABLE charge_stats (
  tenant text NOT NULL,
  gateway text NOT NULL,
  currency text NOT NULL,
  created bigint NOT NULL,
  paid bigint NOT NULL,
  volume_paid numeric(39,0) NOT NULL,
  failures bigint NOT NULL,
  last_error text,
  last_error_at_ms bigint,
  PRIMARY KEY (tenant, gateway, currency)
);
CREATE TABLE account_names (
  name text PRIMARY KEY,
  account_id uuid NOT NULL
);
)sql";

// ---- 8: pay-in integrity and the chart of accounts -------------------------------------------
// The chart's registry (who owns each ledger account: tenant, kind, currency), filled from the
// names kept so far; the old shared clearing accounts ("gateway:<gateway>:<CUR>") belong to no
// tenant. Charges gain the hash of their callback token, how their state was proven, the gateway's
// fee, why they wait for review and when the expiry job looks at them next; a gateway transaction
// settles one charge per tenant. Tenants may bound the amounts of each gateway. Every webhook
// delivery is kept for the audit (gateway_deliveries, verified or not); only verified deliveries
// that were applied take a (gateway, event id) for deduplication.
constexpr std::string_view kIntegritySqlite = R"sql(
CREATE TABLE ledger_chart (
  account_id BLOB PRIMARY KEY,
  tenant TEXT NOT NULL,
  kind TEXT NOT NULL,
  qualifier TEXT NOT NULL,
  currency TEXT NOT NULL,
  name TEXT NOT NULL UNIQUE
);
CREATE INDEX ledger_chart_tenant ON ledger_chart (tenant, kind, currency);
INSERT INTO ledger_chart (account_id, tenant, kind, qualifier, currency, name)
  SELECT account_id, substr(name, 10, length(name) - 13), 'merchant', '', substr(name, -3), name
  FROM account_names WHERE name LIKE 'merchant:%';
INSERT INTO ledger_chart (account_id, tenant, kind, qualifier, currency, name)
  SELECT account_id, '', 'gateway_clearing', substr(name, 9, length(name) - 12), substr(name, -3),
  name FROM account_names WHERE name LIKE 'gateway:%';
DROP TABLE account_names;
ALTER TABLE charges ADD COLUMN callback_token_hash TEXT;
ALTER TABLE charges ADD COLUMN proof TEXT;
ALTER TABLE charges ADD COLUMN fee_amount TEXT;
ALTER TABLE charges ADD COLUMN review_kind TEXT;
ALTER TABLE charges ADD COLUMN next_check_at_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE charges ADD COLUMN check_failures INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX charges_callback_token ON charges (callback_token_hash);
CREATE UNIQUE INDEX charges_gateway_charge ON charges (tenant, gateway, gateway_charge_id);
CREATE INDEX charges_check ON charges (status, next_check_at_ms);
ALTER TABLE gateway_credentials ADD COLUMN min_amount TEXT;
ALTER TABLE gateway_credentials ADD COLUMN max_amount TEXT;
CREATE TABLE gateway_deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  gateway TEXT NOT NULL,
  tenant TEXT,
  charge_id TEXT,
  event_id TEXT,
  verified INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  detail TEXT,
  source_address TEXT,
  body BLOB,
  received_at_ms INTEGER NOT NULL
);
INSERT INTO gateway_deliveries (gateway, tenant, charge_id, event_id, verified, outcome, body,
  received_at_ms)
  SELECT gateway, tenant, charge_id, event_id, 1, outcome, body, received_at_ms
  FROM gateway_webhooks ORDER BY id;
DROP TABLE gateway_webhooks;
CREATE UNIQUE INDEX gateway_deliveries_applied ON gateway_deliveries (gateway, event_id)
  WHERE outcome = 'applied';
CREATE INDEX gateway_deliveries_charge ON gateway_deliveries (charge_id, id);
CREATE INDEX gateway_deliveries_received ON gateway_deliveries (received_at_ms);
CREATE INDEX gateway_deliveries_body ON gateway_deliveries (received_at_ms) WHERE length(body) > 0;
)sql";

constexpr std::string_view kIntegrityPostgres = R"sql(
CREATE TABLE ledger_chart (
  account_id uuid PRIMARY KEY,
  tenant text NOT NULL,
  kind text NOT NULL,
  qualifier text NOT NULL,
  currency text NOT NULL,
  name text NOT NULL UNIQUE
);
CREATE INDEX ledger_chart_tenant ON ledger_chart (tenant, kind, currency);
INSERT INTO ledger_chart (account_id, tenant, kind, qualifier, currency, name)
  SELECT account_id, substr(name, 10, length(name) - 13), 'merchant', '', right(name, 3), name
  FROM account_names WHERE name LIKE 'merchant:%';
INSERT INTO ledger_chart (account_id, tenant, kind, qualifier, currency, name)
  SELECT account_id, '', 'gateway_clearing', substr(name, 9, length(name) - 12), right(name, 3),
  name FROM account_names WHERE name LIKE 'gateway:%';
DROP TABLE account_names;
ALTER TABLE charges ADD COLUMN callback_token_hash text;
ALTER TABLE charges ADD COLUMN proof text;
ALTER TABLE charges ADD COLUMN fee_amount numeric(39,0);
ALTER TABLE charges ADD COLUMN review_kind text;
ALTER TABLE charges ADD COLUMN next_check_at_ms bigint NOT NULL DEFAULT 0;
ALTER TABLE charges ADD COLUMN check_failures integer NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX charges_callback_token ON charges (callback_token_hash);
CREATE UNIQUE INDEX charges_gateway_charge ON charges (tenant, gateway, gateway_charge_id);
CREATE INDEX charges_check ON charges (status, next_check_at_ms);
ALTER TABLE gateway_credentials ADD COLUMN min_amount numeric(39,0);
ALTER TABLE gateway_credentials ADD COLUMN max_amount numeric(39,0);
CREATE TABLE gateway_deliveries (
  id bigserial PRIMARY KEY,
  gateway text NOT NULL,
  tenant text,
  charge_id text,
  event_id text,
  verified integer NOT NULL,
  outcome text NOT NULL,
  detail text,
  source_address text,
  body bytea,
  received_at_ms bigint NOT NULL
);
INSERT INTO gateway_deliveries (gateway, tenant, charge_id, event_id, verified, outcome, body,
  received_at_ms)
  SELECT gateway, tenant, charge_id, event_id, 1, outcome, body, received_at_ms
  FROM gateway_webhooks ORDER BY id;
DROP TABLE gateway_webhooks;
CREATE UNIQUE INDEX gateway_deliveries_applied ON gateway_deliveries (gateway, event_id)
  WHERE outcome = 'applied';
CREATE INDEX gateway_deliveries_charge ON gateway_deliveries (charge_id, id);
CREATE INDEX gateway_deliveries_received ON gateway_deliveries (received_at_ms);
CREATE INDEX gateway_deliveries_body ON gateway_deliveries (received_at_ms) WHERE length(body) > 0;
)sql";

constexpr std::array kMigrations = {
    store::Migration{7, "payins", kPayinsSqlite, kPayinsPostgres},
    store::Migration{8, "payin_integrity_and_chart", kIntegritySqlite, kIntegrityPostgres},
};

}  // namespace

std::span<const store::Migration> Migrations() {
  return kMigrations;
}

}  // namespace cambista::payins
