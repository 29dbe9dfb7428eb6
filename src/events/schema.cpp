// The event outbox and the outbound webhook deliveries (events/).
// Migrations are numbered in one sequence across modules (app/modules.cpp gathers them); once on
// main a migration is never edited: change the schema by appending a new one.
#include <array>

#include "events/schema.hpp"

namespace cambista::events {
namespace {

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

constexpr std::array kMigrations = {
    store::Migration{6, "events_and_webhook_attempts", kEventsSqlite, kEventsPostgres},
    store::Migration{10, "event_xid", kEventXidSqlite, kEventXidPostgres},
};

}  // namespace

std::span<const store::Migration> Migrations() {
  return kMigrations;
}

}  // namespace cambista::events
