// The SQL of the jobs table: enqueue (the transactional outbox), claim under a lease, finish, and
// read back. JobQueue builds workers on these; they are public so that other modules can enqueue
// inside their own transactions and so that tests can play a worker that dies mid-job.
//
// Every function runs on a Connection the caller owns. Enqueue and the Finish functions run in
// whatever transaction the caller has open (or alone, in autocommit); ClaimJobs opens its own write
// transaction. None retries: retrying store::Error::Kind::kRetryable is the caller's choice.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "jobs/job.hpp"
#include "store/database.hpp"

namespace cambista::jobs {

// Inserts a job inside the caller's open transaction, so it commits or rolls back with the state
// change that called for it. With a dedupe key already in the table, inserts nothing and returns
// the existing job's id with created == false.
EnqueueResult Enqueue(store::Connection& tx, const Clock& clock, const NewJob& job);

std::optional<JobRecord> LoadJob(store::Connection& connection, int64_t id);

// A job of this kind and payload is ready and not yet claimed: enqueueing another would only
// repeat it (for work that must run again after each new fact, where a dedupe key, taken for
// ever, would swallow the later facts).
bool HasReadyJob(store::Connection& connection, std::string_view kind, std::string_view payload);

// Queue depth by state, from the database (all processes).
struct QueueStats {
  int64_t ready = 0;
  int64_t running = 0;
  int64_t done = 0;
  int64_t dead = 0;
};
QueueStats LoadQueueStats(store::Connection& connection);

struct ClaimRequest {
  int64_t now_ms = 0;
  int64_t lease_ms = 0;
  int limit = 1;
  std::span<const std::string> kinds;  // only jobs of these kinds; none -> claims nothing
  std::string_view lease_token;        // fresh and unguessable for every claim
};

struct ClaimResult {
  std::vector<ClaimedJob> jobs;  // in id order
  // Jobs whose lease expired on their last allowed attempt, moved to dead by this claim.
  int64_t dead_lettered = 0;
};

// One write transaction: dead-letters running jobs whose lease expired on their last attempt, then
// claims up to `limit` jobs that are ready and due or running with an expired lease (their worker
// died or stalled), oldest run_at_ms first, counting an attempt for each. On PostgreSQL rows
// locked by another claimer are skipped (FOR UPDATE SKIP LOCKED), so many processes claim at once
// without waiting on each other; on SQLite the write lock (BEGIN IMMEDIATE) serializes claimers.
ClaimResult ClaimJobs(store::Connection& connection, const ClaimRequest& request);

// Marks done a job nobody has claimed (its work was done another way: a payout sent from its
// request's lane before its fallback submit job came due); false, changing nothing, when it is
// claimed, finished or gone.
bool CompleteReadyJob(store::Connection& connection, int64_t id, int64_t now_ms);

// Each returns false, changing nothing, when the lease is no longer held (it expired and the job
// was claimed again, or the job was finished already).
bool CompleteJob(store::Connection& connection, const ClaimedJob& job, int64_t now_ms);
// Back to ready, to run at run_at_ms, keeping `error` as last_error.
bool RescheduleJob(store::Connection& connection, const ClaimedJob& job, int64_t run_at_ms,
                   std::string_view error);
// Dead letter, keeping `error` as last_error.
bool BuryJob(store::Connection& connection, const ClaimedJob& job, int64_t now_ms,
             std::string_view error);

// More work remains (JobOutcome::Continue): ready again at run_at_ms with attempts back to 0 and
// no last_error; the payload is replaced when next_payload is given.
bool ContinueJob(store::Connection& connection, const ClaimedJob& job, int64_t run_at_ms,
                 const std::optional<std::string>& next_payload);

// The heartbeat: moves the lease of a job still running under `lease_token` to lease_until_ms.
// False when the lease is no longer held (it expired and another worker claimed the job, or the
// job was finished).
bool ExtendLease(store::Connection& connection, int64_t id, std::string_view lease_token,
                 int64_t lease_until_ms);

// Gives a claimed job back without running it (shutting down): ready again at once, and the claim
// is not counted as an attempt.
bool ReleaseJob(store::Connection& connection, const ClaimedJob& job);

// Error text as stored: valid UTF-8 (invalid bytes and NUL become '?', as PostgreSQL text
// requires) and at most kJobErrorBytesMax bytes, cut on a character boundary.
inline constexpr size_t kJobErrorBytesMax = 2048;
std::string SanitizeJobError(std::string_view error);

}  // namespace cambista::jobs
