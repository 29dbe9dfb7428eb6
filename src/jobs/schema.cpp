// The job queue's tables (jobs/job_table.cpp), and the indexes of the retention job. Migration
// 12 also indexes events' webhook_attempts, which the retention job purges.
// Migrations are numbered in one sequence across modules (app/modules.cpp gathers them); once on
// main a migration is never edited: change the schema by appending a new one.
#include <array>

#include "jobs/schema.hpp"

namespace cambista::jobs {
namespace {

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
    store::Migration{2, "jobs", kJobsSqlite, kJobsPostgres},
    store::Migration{12, "retention", kRetentionSqlite, kRetentionPostgres},
};

}  // namespace

std::span<const store::Migration> Migrations() {
  return kMigrations;
}

}  // namespace cambista::jobs
