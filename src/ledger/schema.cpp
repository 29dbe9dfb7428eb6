// The ledger's tables (ledger/ledger_store.cpp reads and writes them).
// Migrations are numbered in one sequence across modules (app/modules.cpp gathers them); once on
// main a migration is never edited: change the schema by appending a new one.
#include <array>

#include "ledger/schema.hpp"

namespace cambista::ledger {
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

// ---- 13: ledger_balances_behind --------------------------------------------------------------
// SQLite: account balances are written in bulk behind the transfers instead of on every commit
// (a commit then writes a few appended pages instead of one random page per account it touches).
// ledger_accounts holds every event up to balances_through; readers add the events after it (the
// short tail of transfers, and expiries of pending transfers, indexed below). Existing databases
// hold current balances, so the mark starts at their last event. PostgreSQL keeps balances current
// on every commit (its row locks are what serialize conflicting transfers across nodes).
constexpr std::string_view kBalancesBehindSqlite = R"sql(
CREATE TABLE ledger_balance_progress (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  balances_through INTEGER NOT NULL
);
INSERT INTO ledger_balance_progress (id, balances_through) VALUES (1, max(
  coalesce((SELECT max(timestamp) FROM ledger_transfers), 0),
  coalesce((SELECT max(resolved_at) FROM ledger_pending), 0)));
CREATE INDEX ledger_pending_expired ON ledger_pending (resolved_at) WHERE state = 4;
)sql";

constexpr std::string_view kBalancesBehindPostgres = "SELECT 1";

constexpr std::array kMigrations = {
    store::Migration{1, "ledger", kLedgerSqlite, kLedgerPostgres},
    store::Migration{13, "ledger_balances_behind", kBalancesBehindSqlite, kBalancesBehindPostgres},
};

}  // namespace

std::span<const store::Migration> Migrations() {
  return kMigrations;
}

}  // namespace cambista::ledger
