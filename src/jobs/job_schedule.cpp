#include "jobs/job_schedule.hpp"

#include <utility>
#include <vector>

#include "core/assert.hpp"
#include "jobs/job_table.hpp"

namespace cambista::jobs {

std::string ScheduleDedupeKey(std::string_view name, int64_t occurrence_ms) {
  std::string key = "schedule:";
  key += name;
  key += ':';
  key += std::to_string(occurrence_ms);
  return key;
}

JobSchedule Every(std::string name, std::string kind, int64_t interval_ms) {
  JobSchedule schedule;
  schedule.name = std::move(name);
  schedule.kind = std::move(kind);
  schedule.payload = "{}";
  schedule.interval_ms = interval_ms;
  return schedule;
}

void UpsertSchedule(store::Connection& connection, const Clock& clock,
                    const JobSchedule& schedule) {
  CAMBISTA_CHECK(!schedule.name.empty());
  CAMBISTA_CHECK(!schedule.kind.empty());
  CAMBISTA_CHECK(schedule.interval_ms >= 1);
  CAMBISTA_CHECK(schedule.max_attempts >= 1);
  const int64_t first_run_at_ms = schedule.first_run_at_ms.value_or(clock.NowMs());
  connection.Execute(
      "INSERT INTO job_schedules (name, kind, payload, interval_ms, max_attempts, next_run_at_ms, "
      "overlap) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (name) DO UPDATE SET "
      "kind = excluded.kind, payload = excluded.payload, max_attempts = excluded.max_attempts, "
      "overlap = excluded.overlap, "
      "next_run_at_ms = CASE WHEN job_schedules.interval_ms <> excluded.interval_ms "
      "AND excluded.next_run_at_ms < job_schedules.next_run_at_ms "
      "THEN excluded.next_run_at_ms ELSE job_schedules.next_run_at_ms END, "
      "interval_ms = excluded.interval_ms",
      {std::string_view(schedule.name), std::string_view(schedule.kind),
       std::string_view(schedule.payload), schedule.interval_ms,
       static_cast<int64_t>(schedule.max_attempts), first_run_at_ms,
       static_cast<int64_t>(schedule.overlap ? 1 : 0)});
}

bool RemoveSchedule(store::Connection& connection, std::string_view name) {
  return connection.Execute("DELETE FROM job_schedules WHERE name = $1", {name}) == 1;
}

std::optional<JobSchedule> LoadSchedule(store::Connection& connection, std::string_view name,
                                        int64_t* next_run_at_ms) {
  std::optional<JobSchedule> schedule;
  connection.Query(
      "SELECT name, kind, payload, interval_ms, max_attempts, next_run_at_ms, overlap "
      "FROM job_schedules WHERE name = $1",
      {name}, [&](const store::Row& row) {
        JobSchedule& s = schedule.emplace();
        s.name = row.Text(0);
        s.kind = row.Text(1);
        s.payload = row.Text(2);
        s.interval_ms = row.Int64(3);
        s.max_attempts = static_cast<int>(row.Int64(4));
        if (next_run_at_ms != nullptr) *next_run_at_ms = row.Int64(5);
        s.overlap = row.Int64(6) != 0;
      });
  return schedule;
}

namespace {

struct DueSchedule {
  JobSchedule schedule;
  int64_t occurrence_ms = 0;
  std::optional<int64_t> last_job_id;
};

// The due schedules, locked (PostgreSQL) or under the write lock (SQLite) of the open transaction.
std::vector<DueSchedule> LockDueSchedules(store::Connection& tx, int64_t now_ms) {
  // On PostgreSQL a row another ticker holds is skipped; when that ticker commits, the row's next
  // run has moved past now. A row updated between our snapshot and our lock is re-checked against
  // the WHERE clause by PostgreSQL before it is returned.
  const std::string_view select_sql =
      tx.backend() == store::Backend::kPostgres
          ? "SELECT name, kind, payload, interval_ms, max_attempts, next_run_at_ms, overlap, "
            "last_job_id FROM job_schedules WHERE next_run_at_ms <= $1 ORDER BY name "
            "FOR UPDATE SKIP LOCKED"
          : "SELECT name, kind, payload, interval_ms, max_attempts, next_run_at_ms, overlap, "
            "last_job_id FROM job_schedules WHERE next_run_at_ms <= $1 ORDER BY name";
  std::vector<DueSchedule> due;
  tx.Query(select_sql, {now_ms}, [&](const store::Row& row) {
    DueSchedule& d = due.emplace_back();
    d.schedule.name = row.Text(0);
    d.schedule.kind = row.Text(1);
    d.schedule.payload = row.Text(2);
    d.schedule.interval_ms = row.Int64(3);
    d.schedule.max_attempts = static_cast<int>(row.Int64(4));
    d.occurrence_ms = row.Int64(5);
    d.schedule.overlap = row.Int64(6) != 0;
    if (!row.IsNull(7)) d.last_job_id = row.Int64(7);
  });
  return due;
}

// Whether the job a schedule enqueued last is still to finish (ready or running).
bool StillPending(store::Connection& tx, int64_t job_id) {
  bool pending = false;
  tx.Query("SELECT state FROM jobs WHERE id = $1", {job_id}, [&](const store::Row& row) {
    const auto state = static_cast<JobState>(row.Int64(0));
    pending = state == JobState::kReady || state == JobState::kRunning;
  });
  return pending;
}

}  // namespace

int TickSchedules(store::Connection& connection, const Clock& clock) {
  const int64_t now_ms = clock.NowMs();
  // Cheap look first, so that idle ticks never take the write lock.
  bool any_due = false;
  connection.Query("SELECT 1 FROM job_schedules WHERE next_run_at_ms <= $1 LIMIT 1", {now_ms},
                   [&](const store::Row&) { any_due = true; });
  if (!any_due) return 0;

  store::Transaction tx(connection, store::TransactionMode::kWrite);
  int created = 0;
  for (const DueSchedule& d : LockDueSchedules(connection, now_ms)) {
    const int64_t interval_ms = d.schedule.interval_ms;
    CAMBISTA_CHECK(interval_ms >= 1);
    std::optional<int64_t> last_job_id = d.last_job_id;
    const bool skip = !d.schedule.overlap && last_job_id && StillPending(connection, *last_job_id);
    if (!skip) {
      NewJob job;
      job.kind = d.schedule.kind;
      job.payload = d.schedule.payload;
      job.dedupe_key = ScheduleDedupeKey(d.schedule.name, d.occurrence_ms);
      job.max_attempts = d.schedule.max_attempts;
      job.run_at_ms = d.occurrence_ms;
      const EnqueueResult enqueued = Enqueue(connection, clock, job);
      if (enqueued.created) ++created;
      last_job_id = enqueued.id;
    }
    const int64_t next_run_at_ms =
        d.occurrence_ms + interval_ms * ((now_ms - d.occurrence_ms) / interval_ms + 1);
    connection.Execute(
        "UPDATE job_schedules SET next_run_at_ms = $2, last_job_id = $3 WHERE name = $1",
        {std::string_view(d.schedule.name), next_run_at_ms,
         last_job_id ? store::Param(*last_job_id) : store::Param(store::Null{})});
  }
  tx.Commit();
  return created;
}

}  // namespace cambista::jobs
