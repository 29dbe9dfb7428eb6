// Periodic jobs. A schedule row names a job (kind + payload) and an interval; ticking enqueues one
// job for each due schedule and moves its next run forward in the same transaction, so that many
// processes ticking at once enqueue every occurrence exactly once: on PostgreSQL the due rows are
// locked with FOR UPDATE SKIP LOCKED, on SQLite the write lock serializes tickers, and the job's
// dedupe key (name + occurrence time) is a second guard in both.
//
// Occurrences missed while nothing ticked (every node down) are coalesced: one job runs for the
// oldest missed occurrence and the next run is the first occurrence after now.
//
// Unless a schedule allows overlap, an occurrence that comes due while the job of the schedule's
// previous occurrence is still ready or running (it is working through a backlog in batches, see
// JobOutcome::Continue, or waiting to retry) is skipped: a periodic job never runs as two copies
// that would double its share of the workers and fight over the same rows.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "jobs/job.hpp"
#include "store/database.hpp"

namespace cambista::jobs {

struct JobSchedule {
  std::string name;  // primary key
  std::string kind;
  std::string payload;
  int64_t interval_ms = 0;  // >= 1
  int max_attempts = kJobAttemptsMaxDefault;
  // First occurrence of a new schedule; default now. Ignored when the schedule exists already.
  std::optional<int64_t> first_run_at_ms;
  // true: every occurrence enqueues its job, even while an earlier one is still ready or running.
  bool overlap = false;
};

// A schedule that enqueues `kind` with an empty payload every `interval_ms`, never overlapping.
JobSchedule Every(std::string name, std::string kind, int64_t interval_ms);

// Insert or update (in the caller's transaction, or alone). An existing schedule keeps its next run
// time, so that every node can declare its schedules at start-up without resetting them, unless
// its interval changed and the new first occurrence comes sooner.
void UpsertSchedule(store::Connection& connection, const Clock& clock, const JobSchedule& schedule);
// Jobs already enqueued by the schedule stay. Returns false if there was no such schedule.
bool RemoveSchedule(store::Connection& connection, std::string_view name);
std::optional<JobSchedule> LoadSchedule(store::Connection& connection, std::string_view name,
                                        int64_t* next_run_at_ms = nullptr);

// Enqueues the due occurrences; returns how many jobs this call created. Opens its own write
// transaction (only when a schedule is due), so no transaction may be open on `connection`.
int TickSchedules(store::Connection& connection, const Clock& clock);

// The dedupe key of the job a schedule enqueues for one occurrence.
std::string ScheduleDedupeKey(std::string_view name, int64_t occurrence_ms);

}  // namespace cambista::jobs
