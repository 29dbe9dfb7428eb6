// Every table of Cambista, as numbered migrations. A migration, once on main, is never edited:
// change the schema by appending a new one.
#include <array>

#include "store/migrations.hpp"

namespace cambista::store {
namespace {

// ---- 1: ledger ------------------------------------------------------------------------------
// Ids are 128-bit (BLOB(16) big-endian / uuid); amounts and balances are exact integers in minor
// units (TEXT decimal / NUMERIC(39,0)). Timestamps are nanoseconds since the epoch, assigned by the
// ledger, strictly increasing per node; on SQLite the transfer timestamp is the rowid so that
// appends stay at the end of the table.
constexpr std::string_view kLedgerSqlite = R"sql(
CREATE TABLE ledger_accounts (
  id BLOB PRIMARY KEY,
  asset TEXT NOT NULL,
  code INTEGER NOT NULL,
  flags INTEGER NOT NULL,
  user_data_128 BLOB NOT NULL,
  user_data_64 INTEGER NOT NULL,
  user_data_32 INTEGER NOT NULL,
  debits_pending TEXT NOT NULL,
  debits_posted TEXT NOT NULL,
  credits_pending TEXT NOT NULL,
  credits_posted TEXT NOT NULL,
  timestamp INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE ledger_transfers (
  timestamp INTEGER PRIMARY KEY,
  id BLOB NOT NULL UNIQUE,
  debit_account_id BLOB NOT NULL,
  credit_account_id BLOB NOT NULL,
  amount TEXT NOT NULL,
  pending_id BLOB NOT NULL,
  user_data_128 BLOB NOT NULL,
  user_data_64 INTEGER NOT NULL,
  user_data_32 INTEGER NOT NULL,
  timeout_s INTEGER NOT NULL,
  asset TEXT NOT NULL,
  code INTEGER NOT NULL,
  flags INTEGER NOT NULL
);
-- Per-account history is indexed in bulk, not per transfer: two random index pages per transfer
-- would double what every commit writes to the WAL. About once a second the ledger appends, for
-- every account that moved, one row holding the timestamps of its new transfers (a posting list:
-- 8 bytes big-endian each, ascending). History queries read these up to indexed_through and scan
-- the short, rowid-ordered tail of transfers after it.
CREATE TABLE ledger_account_history (
  account_id BLOB NOT NULL,
  last_timestamp INTEGER NOT NULL,
  timestamps BLOB NOT NULL,
  PRIMARY KEY (account_id, last_timestamp)
) WITHOUT ROWID;
CREATE TABLE ledger_history_progress (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  indexed_through INTEGER NOT NULL
);
INSERT INTO ledger_history_progress (id, indexed_through) VALUES (1, 0);
CREATE TABLE ledger_transfer_failures (
  id BLOB PRIMARY KEY,
  result INTEGER NOT NULL,
  timestamp INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE ledger_pending (
  id BLOB PRIMARY KEY,
  state INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  resolved_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX ledger_pending_expiry ON ledger_pending (expires_at) WHERE state = 1 AND expires_at > 0;
)sql";

constexpr std::string_view kLedgerPostgres = R"sql(
CREATE TABLE ledger_accounts (
  id uuid PRIMARY KEY,
  asset text NOT NULL,
  code integer NOT NULL,
  flags integer NOT NULL,
  user_data_128 uuid NOT NULL,
  user_data_64 bigint NOT NULL,
  user_data_32 bigint NOT NULL,
  debits_pending numeric(39,0) NOT NULL,
  debits_posted numeric(39,0) NOT NULL,
  credits_pending numeric(39,0) NOT NULL,
  credits_posted numeric(39,0) NOT NULL,
  timestamp bigint NOT NULL
);
CREATE TABLE ledger_transfers (
  id uuid PRIMARY KEY,
  timestamp bigint NOT NULL,
  debit_account_id uuid NOT NULL,
  credit_account_id uuid NOT NULL,
  amount numeric(39,0) NOT NULL,
  pending_id uuid NOT NULL,
  user_data_128 uuid NOT NULL,
  user_data_64 bigint NOT NULL,
  user_data_32 bigint NOT NULL,
  timeout_s bigint NOT NULL,
  asset text NOT NULL,
  code integer NOT NULL,
  flags integer NOT NULL
);
CREATE INDEX ledger_transfers_debit ON ledger_transfers (debit_account_id, timestamp);
CREATE INDEX ledger_transfers_credit ON ledger_transfers (credit_account_id, timestamp);
CREATE TABLE ledger_transfer_failures (
  id uuid PRIMARY KEY,
  result integer NOT NULL,
  timestamp bigint NOT NULL
);
CREATE TABLE ledger_pending (
  id uuid PRIMARY KEY,
  state integer NOT NULL,
  expires_at bigint NOT NULL,
  resolved_at bigint NOT NULL
);
CREATE INDEX ledger_pending_expiry ON ledger_pending (expires_at) WHERE state = 1 AND expires_at > 0;
)sql";

// ---- 2: jobs --------------------------------------------------------------------------------
// A durable queue usable as a transactional outbox. state: 0 ready, 1 running, 2 done, 3 dead.
// Times are milliseconds since the epoch from the injected clock.
constexpr std::string_view kJobsSqlite = R"sql(
CREATE TABLE jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  dedupe_key TEXT UNIQUE,
  state INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  run_at_ms INTEGER NOT NULL,
  lease_until_ms INTEGER NOT NULL DEFAULT 0,
  lease_token TEXT,
  last_error TEXT,
  created_at_ms INTEGER NOT NULL,
  finished_at_ms INTEGER
);
CREATE INDEX jobs_ready ON jobs (run_at_ms) WHERE state = 0;
CREATE INDEX jobs_running ON jobs (lease_until_ms) WHERE state = 1;
CREATE TABLE job_schedules (
  name TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  interval_ms INTEGER NOT NULL,
  max_attempts INTEGER NOT NULL,
  next_run_at_ms INTEGER NOT NULL
);
)sql";

constexpr std::string_view kJobsPostgres = R"sql(
CREATE TABLE jobs (
  id bigserial PRIMARY KEY,
  kind text NOT NULL,
  payload text NOT NULL,
  dedupe_key text UNIQUE,
  state integer NOT NULL DEFAULT 0,
  attempts integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL,
  run_at_ms bigint NOT NULL,
  lease_until_ms bigint NOT NULL DEFAULT 0,
  lease_token text,
  last_error text,
  created_at_ms bigint NOT NULL,
  finished_at_ms bigint
);
CREATE INDEX jobs_ready ON jobs (run_at_ms) WHERE state = 0;
CREATE INDEX jobs_running ON jobs (lease_until_ms) WHERE state = 1;
CREATE TABLE job_schedules (
  name text PRIMARY KEY,
  kind text NOT NULL,
  payload text NOT NULL,
  interval_ms bigint NOT NULL,
  max_attempts integer NOT NULL,
  next_run_at_ms bigint NOT NULL
);
)sql";

// ---- 3: api keys ----------------------------------------------------------------------------
// Only the keyed hash of each secret is stored (security/api_key.hpp); the prefix finds the row.
constexpr std::string_view kApiKeysSqlite = R"sql(
CREATE TABLE api_keys (
  prefix TEXT PRIMARY KEY,
  secret_hash BLOB NOT NULL,
  tenant TEXT NOT NULL,
  scopes TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  revoked_at_ms INTEGER
);
)sql";

constexpr std::string_view kApiKeysPostgres = R"sql(
CREATE TABLE api_keys (
  prefix text PRIMARY KEY,
  secret_hash bytea NOT NULL,
  tenant text NOT NULL,
  scopes text NOT NULL,
  created_at_ms bigint NOT NULL,
  revoked_at_ms bigint
);
)sql";

// ---- 4: operator 2FA --------------------------------------------------------------------------
// The TOTP seed of a key, sealed (security/secret_box.hpp), and the last step accepted (replays).
constexpr std::string_view kTotpSqlite = R"sql(
ALTER TABLE api_keys ADD COLUMN totp_secret BLOB;
ALTER TABLE api_keys ADD COLUMN totp_last_step INTEGER;
)sql";

constexpr std::string_view kTotpPostgres = R"sql(
ALTER TABLE api_keys ADD COLUMN totp_secret bytea;
ALTER TABLE api_keys ADD COLUMN totp_last_step bigint;
)sql";

// ---- 5: idempotency and webhook endpoints -----------------------------------------------------
// An Idempotency-Key row is written in flight before the effect and completed, with the response
// to replay byte for byte, in the effect's own transaction. Webhook secrets are sealed.
constexpr std::string_view kIdempotencySqlite = R"sql(
CREATE TABLE idempotency_keys (
  tenant TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  request_hash BLOB NOT NULL,
  state INTEGER NOT NULL,
  response_status INTEGER,
  response_content_type TEXT,
  response_body BLOB,
  created_at_ms INTEGER NOT NULL,
  locked_until_ms INTEGER NOT NULL,
  PRIMARY KEY (tenant, idempotency_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at_ms);
CREATE TABLE webhook_endpoints (
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  url TEXT NOT NULL,
  event_types TEXT NOT NULL,
  secret_sealed BLOB NOT NULL,
  created_at_ms INTEGER NOT NULL,
  disabled_at_ms INTEGER,
  deleted_at_ms INTEGER
);
CREATE INDEX webhook_endpoints_tenant ON webhook_endpoints (tenant, created_at_ms);
)sql";

constexpr std::string_view kIdempotencyPostgres = R"sql(
CREATE TABLE idempotency_keys (
  tenant text NOT NULL,
  idempotency_key text NOT NULL,
  request_hash bytea NOT NULL,
  state integer NOT NULL,
  response_status integer,
  response_content_type text,
  response_body bytea,
  created_at_ms bigint NOT NULL,
  locked_until_ms bigint NOT NULL,
  PRIMARY KEY (tenant, idempotency_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at_ms);
CREATE TABLE webhook_endpoints (
  id text PRIMARY KEY,
  tenant text NOT NULL,
  url text NOT NULL,
  event_types text NOT NULL,
  secret_sealed bytea NOT NULL,
  created_at_ms bigint NOT NULL,
  disabled_at_ms bigint,
  deleted_at_ms bigint
);
CREATE INDEX webhook_endpoints_tenant ON webhook_endpoints (tenant, created_at_ms);
)sql";

// ---- 6: events and webhook deliveries ----------------------------------------------------------
// Events are written in the transaction of the change they report (the outbox); `seq` orders them
// for the stream's tail. One row per attempt to deliver an event to an endpoint.
constexpr std::string_view kEventsSqlite = R"sql(
CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  tenant TEXT NOT NULL,
  type TEXT NOT NULL,
  channel TEXT NOT NULL,
  data TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL
);
CREATE INDEX events_created ON events (created_at_ms);
CREATE TABLE webhook_attempts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  endpoint_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  response_status INTEGER,
  error TEXT,
  duration_ms INTEGER NOT NULL,
  attempted_at_ms INTEGER NOT NULL,
  next_attempt_at_ms INTEGER
);
CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (endpoint_id, id);
)sql";

constexpr std::string_view kEventsPostgres = R"sql(
CREATE TABLE events (
  seq bigserial PRIMARY KEY,
  id text NOT NULL UNIQUE,
  tenant text NOT NULL,
  type text NOT NULL,
  channel text NOT NULL,
  data text NOT NULL,
  created_at_ms bigint NOT NULL
);
CREATE INDEX events_created ON events (created_at_ms);
CREATE TABLE webhook_attempts (
  id bigserial PRIMARY KEY,
  endpoint_id text NOT NULL,
  event_id text NOT NULL,
  event_type text NOT NULL,
  attempt integer NOT NULL,
  outcome text NOT NULL,
  response_status integer,
  error text,
  duration_ms bigint NOT NULL,
  attempted_at_ms bigint NOT NULL,
  next_attempt_at_ms bigint
);
CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (endpoint_id, id);
)sql";

// ---- 7: pay-ins
// ------------------------------------------------------------------------------------ Merchants'
// gateway credentials (sealed with the master key; `tenant_hint` is a public identifier such as
// ÁtomoPay's producer hash, to find the tenant of a webhook), charges with their history, the raw
// webhook deliveries received from gateways (deduplicated per gateway and event), counters per
// tenant and gateway for the statistics, and names of ledger accounts.
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

// ---- 9: the database seal -------------------------------------------------------------------
// One row, written at first start: the fingerprint of the master key (hex HMAC-SHA256 of a fixed
// label under the key, never the key), so that a process started with another key stops at once,
// and the pepper of API key hashes sealed under the master key, so that API keys survive a
// rotation of the master key (app/master_key.hpp).
constexpr std::string_view kDatabaseSealSqlite = R"sql(
CREATE TABLE database_seal (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  key_fingerprint TEXT NOT NULL,
  api_key_pepper_sealed BLOB NOT NULL,
  sealed_at_ms INTEGER NOT NULL,
  rotated_at_ms INTEGER
);
)sql";

constexpr std::string_view kDatabaseSealPostgres = R"sql(
CREATE TABLE database_seal (
  id integer PRIMARY KEY CHECK (id = 1),
  key_fingerprint text NOT NULL,
  api_key_pepper_sealed bytea NOT NULL,
  sealed_at_ms bigint NOT NULL,
  rotated_at_ms bigint
);
)sql";

// ---- 10: the transaction of each event ----------------------------------------------------------
// On PostgreSQL a seq becomes visible at commit, not in seq order; the stream's feed reads by
// snapshot, and needs to tell the events of transactions a snapshot saw running (events/
// event_feed.hpp). The default fills in the inserting transaction's top-level id, so every insert
// carries it; rows already there get this migration's, which has committed before any feed reads.
// SQLite has one writer at a time: seq order is commit order there, and nothing changes.
constexpr std::string_view kEventXidSqlite = "-- seq order is commit order: nothing to add";

constexpr std::string_view kEventXidPostgres = R"sql(
ALTER TABLE events ADD COLUMN xid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX events_xid ON events (xid);
)sql";

// ---- 11: API key expiry -----------------------------------------------------------------------
// When a key stops working (Unix ms); NULL for a key that never expires, as every older key.
constexpr std::string_view kApiKeyExpirySqlite = R"sql(
ALTER TABLE api_keys ADD COLUMN expires_at_ms INTEGER;
)sql";

constexpr std::string_view kApiKeyExpiryPostgres = R"sql(
ALTER TABLE api_keys ADD COLUMN expires_at_ms bigint;
)sql";

// ---- 12: retention and periodic jobs that yield ------------------------------------------------
// A schedule remembers the job of its last occurrence so that, unless it allows overlap, it never
// enqueues a second while the first is still ready or running (a job working through a backlog in
// batches). The indexes serve the retention job (jobs/retention.hpp): finished jobs and outbound
// attempts by age, and the live webhook deliveries that keep an old event from being purged.
constexpr std::string_view kRetentionSqlite = R"sql(
ALTER TABLE job_schedules ADD COLUMN overlap INTEGER NOT NULL DEFAULT 0;
ALTER TABLE job_schedules ADD COLUMN last_job_id INTEGER;
CREATE INDEX jobs_finished ON jobs (finished_at_ms) WHERE state IN (2, 3);
CREATE INDEX jobs_live ON jobs (kind, dedupe_key) WHERE state IN (0, 1);
CREATE INDEX webhook_attempts_attempted ON webhook_attempts (attempted_at_ms);
)sql";

constexpr std::string_view kRetentionPostgres = R"sql(
ALTER TABLE job_schedules ADD COLUMN overlap integer NOT NULL DEFAULT 0;
ALTER TABLE job_schedules ADD COLUMN last_job_id bigint;
CREATE INDEX jobs_finished ON jobs (finished_at_ms) WHERE state IN (2, 3);
CREATE INDEX jobs_live ON jobs (kind, dedupe_key) WHERE state IN (0, 1);
CREATE INDEX webhook_attempts_attempted ON webhook_attempts (attempted_at_ms);
)sql";

constexpr std::array kMigrations = {
    Migration{1, "ledger", kLedgerSqlite, kLedgerPostgres},
    Migration{2, "jobs", kJobsSqlite, kJobsPostgres},
    Migration{3, "api_keys", kApiKeysSqlite, kApiKeysPostgres},
    Migration{4, "totp", kTotpSqlite, kTotpPostgres},
    Migration{5, "idempotency_and_webhook_endpoints", kIdempotencySqlite, kIdempotencyPostgres},
    Migration{6, "events_and_webhook_attempts", kEventsSqlite, kEventsPostgres},
    Migration{7, "payins", kPayinsSqlite, kPayinsPostgres},
    Migration{8, "payin_integrity_and_chart", kIntegritySqlite, kIntegrityPostgres},
    Migration{9, "database_seal", kDatabaseSealSqlite, kDatabaseSealPostgres},
    Migration{10, "event_xid", kEventXidSqlite, kEventXidPostgres},
    Migration{11, "api_key_expiry", kApiKeyExpirySqlite, kApiKeyExpiryPostgres},
    Migration{12, "retention", kRetentionSqlite, kRetentionPostgres},
};

}  // namespace

std::span<const Migration> AllMigrations() {
  return kMigrations;
}

}  // namespace cambista::store
