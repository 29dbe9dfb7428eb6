#include "jobs/job_table.hpp"

#include <algorithm>
#include <vector>

#include "core/assert.hpp"

namespace cambista::jobs {
namespace {

using store::Param;

constexpr std::string_view kLeaseExpiredError =
    "lease expired on the last attempt: the worker died or ran past its lease";

std::optional<std::string> OptionalText(const store::Row& row, int column) {
  if (row.IsNull(column)) return std::nullopt;
  return std::string(row.Text(column));
}

Param OptionalParam(const std::optional<std::string>& text) {
  if (!text) return store::Null{};
  return std::string_view(*text);
}

// "$first, $first+1, ..." for an IN list of `count` parameters.
std::string Placeholders(int first, size_t count) {
  std::string text;
  for (size_t i = 0; i < count; ++i) {
    if (i > 0) text += ", ";
    text += '$';
    text += std::to_string(first + static_cast<int>(i));
  }
  return text;
}

// Length of the valid UTF-8 sequence starting at text[i], or 0 if it is not one.
size_t Utf8SequenceLength(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead >= 0x01 && lead <= 0x7F) return 1;
  size_t length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // no overlong forms
    if (lead == 0xED) high = 0x9F;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  if (byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (size_t k = 2; k < length; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return length;
}

}  // namespace

std::string SanitizeJobError(std::string_view error) {
  std::string clean;
  clean.reserve(std::min(error.size(), kJobErrorBytesMax));
  size_t i = 0;
  while (i < error.size()) {
    size_t length = Utf8SequenceLength(error, i);
    if (length == 0) {
      if (clean.size() + 1 > kJobErrorBytesMax) break;
      clean += '?';
      ++i;
      continue;
    }
    if (clean.size() + length > kJobErrorBytesMax) break;
    clean.append(error.substr(i, length));
    i += length;
  }
  return clean;
}

bool HasReadyJob(store::Connection& connection, std::string_view kind, std::string_view payload) {
  bool found = false;
  connection.Query("SELECT 1 FROM jobs WHERE state = 0 AND kind = $1 AND payload = $2 LIMIT 1",
                   {kind, payload}, [&found](const store::Row&) { found = true; });
  return found;
}

EnqueueResult Enqueue(store::Connection& tx, const Clock& clock, const NewJob& job) {
  // Programming errors, not input: kinds are constants and attempt counts come from code.
  CAMBISTA_CHECK(!job.kind.empty());
  CAMBISTA_CHECK(job.max_attempts >= 1);
  const int64_t now_ms = clock.NowMs();
  const int64_t run_at_ms = job.run_at_ms.value_or(now_ms + std::max<int64_t>(job.delay_ms, 0));

  EnqueueResult result;
  tx.Query(
      "INSERT INTO jobs (kind, payload, dedupe_key, max_attempts, run_at_ms, created_at_ms) "
      "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
      {std::string_view(job.kind), std::string_view(job.payload), OptionalParam(job.dedupe_key),
       static_cast<int64_t>(job.max_attempts), run_at_ms, now_ms},
      [&](const store::Row& row) {
        result.id = row.Int64(0);
        result.created = true;
      });
  if (result.created) return result;

  // The key is taken. Under READ COMMITTED (PostgreSQL's default) the conflicting row has
  // committed by now, or the INSERT above would have waited for it, so this sees it.
  CAMBISTA_CHECK(job.dedupe_key.has_value());
  bool found = false;
  tx.Query("SELECT id FROM jobs WHERE dedupe_key = $1", {std::string_view(*job.dedupe_key)},
           [&](const store::Row& row) {
             result.id = row.Int64(0);
             found = true;
           });
  if (!found) {
    // Only possible under a snapshot older than the conflicting commit (REPEATABLE READ or
    // SERIALIZABLE on PostgreSQL): running the transaction again sees it.
    throw store::Error(store::Error::Kind::kRetryable,
                       "jobs: dedupe key taken by a job this transaction cannot see yet");
  }
  return result;
}

std::optional<JobRecord> LoadJob(store::Connection& connection, int64_t id) {
  std::optional<JobRecord> record;
  connection.Query(
      "SELECT id, kind, payload, dedupe_key, state, attempts, max_attempts, run_at_ms, "
      "lease_until_ms, last_error, created_at_ms, finished_at_ms FROM jobs WHERE id = $1",
      {id}, [&](const store::Row& row) {
        JobRecord& r = record.emplace();
        r.id = row.Int64(0);
        r.kind = row.Text(1);
        r.payload = row.Text(2);
        r.dedupe_key = OptionalText(row, 3);
        r.state = static_cast<JobState>(row.Int64(4));
        r.attempts = static_cast<int>(row.Int64(5));
        r.max_attempts = static_cast<int>(row.Int64(6));
        r.run_at_ms = row.Int64(7);
        r.lease_until_ms = row.Int64(8);
        r.last_error = OptionalText(row, 9);
        r.created_at_ms = row.Int64(10);
        if (!row.IsNull(11)) r.finished_at_ms = row.Int64(11);
      });
  return record;
}

QueueStats LoadQueueStats(store::Connection& connection) {
  QueueStats stats;
  connection.Query("SELECT state, count(*) FROM jobs GROUP BY state", {},
                   [&](const store::Row& row) {
                     const int64_t count = row.Int64(1);
                     switch (static_cast<JobState>(row.Int64(0))) {
                       case JobState::kReady:
                         stats.ready = count;
                         break;
                       case JobState::kRunning:
                         stats.running = count;
                         break;
                       case JobState::kDone:
                         stats.done = count;
                         break;
                       case JobState::kDead:
                         stats.dead = count;
                         break;
                     }
                   });
  return stats;
}

namespace {

// A cheap look (the partial indexes, no write lock): a claim that would find nothing to run or to
// bury takes no write transaction, so woken workers that find the work taken cost a read.
bool AnythingDue(store::Connection& connection, int64_t now_ms) {
  bool any = false;
  connection.Query(
      "SELECT 1 WHERE EXISTS (SELECT 1 FROM jobs WHERE state = 0 AND run_at_ms <= $1) OR "
      "EXISTS (SELECT 1 FROM jobs WHERE state = 1 AND lease_until_ms <= $1)",
      {now_ms}, [&](const store::Row&) { any = true; });
  return any;
}

}  // namespace

ClaimResult ClaimJobs(store::Connection& connection, const ClaimRequest& request) {
  CAMBISTA_CHECK(request.limit >= 1);
  CAMBISTA_CHECK(request.lease_ms >= 1);
  CAMBISTA_CHECK(!request.lease_token.empty());
  ClaimResult result;
  if (request.kinds.empty()) return result;
  const bool postgres = connection.backend() == store::Backend::kPostgres;
  if (!AnythingDue(connection, request.now_ms)) return result;

  store::Transaction tx(connection, store::TransactionMode::kWrite);

  // A job whose worker died on its last allowed attempt gets no further run: it is dead.
  const std::string_view bury_sql =
      postgres ? "WITH expired AS MATERIALIZED ("
                 "SELECT id FROM jobs WHERE state = 1 AND lease_until_ms <= $1 "
                 "AND attempts >= max_attempts FOR UPDATE SKIP LOCKED) "
                 "UPDATE jobs SET state = 3, finished_at_ms = $1, lease_token = NULL, "
                 "last_error = $2 FROM expired WHERE jobs.id = expired.id"
               : "UPDATE jobs SET state = 3, finished_at_ms = $1, lease_token = NULL, "
                 "last_error = $2 WHERE state = 1 AND lease_until_ms <= $1 "
                 "AND attempts >= max_attempts";
  result.dead_lettered = connection.Execute(bury_sql, {request.now_ms, kLeaseExpiredError});

  const std::string due =
      "((state = 0 AND run_at_ms <= $1) OR "
      "(state = 1 AND lease_until_ms <= $1 AND attempts < max_attempts)) AND kind IN (" +
      Placeholders(5, request.kinds.size()) + ")";
  std::string claim_sql;
  if (postgres) {
    // MATERIALIZED: the locking subquery runs exactly once, so the UPDATE touches only the rows
    // this transaction locked.
    claim_sql = "WITH picked AS MATERIALIZED (SELECT id FROM jobs WHERE " + due +
                " ORDER BY run_at_ms, id LIMIT $2 FOR UPDATE SKIP LOCKED) "
                "UPDATE jobs SET state = 1, attempts = jobs.attempts + 1, lease_until_ms = $3, "
                "lease_token = $4 FROM picked WHERE jobs.id = picked.id "
                "RETURNING jobs.id, jobs.kind, jobs.payload, jobs.dedupe_key, jobs.attempts, "
                "jobs.max_attempts, jobs.last_error";
  } else {
    // SQLite is built without UPDATE ... LIMIT; the write lock taken by BEGIN IMMEDIATE already
    // keeps other claimers out.
    claim_sql =
        "UPDATE jobs SET state = 1, attempts = attempts + 1, lease_until_ms = $3, "
        "lease_token = $4 WHERE id IN (SELECT id FROM jobs WHERE " +
        due +
        " ORDER BY run_at_ms, id LIMIT $2) "
        "RETURNING id, kind, payload, dedupe_key, attempts, max_attempts, last_error";
  }
  const int64_t lease_until_ms = request.now_ms + request.lease_ms;
  std::vector<Param> params = {request.now_ms, static_cast<int64_t>(request.limit), lease_until_ms,
                               request.lease_token};
  for (const std::string& kind : request.kinds) params.emplace_back(std::string_view(kind));

  connection.Query(claim_sql, params, [&](const store::Row& row) {
    ClaimedJob& job = result.jobs.emplace_back();
    job.id = row.Int64(0);
    job.kind = row.Text(1);
    job.payload = row.Text(2);
    job.dedupe_key = OptionalText(row, 3);
    job.attempt = static_cast<int>(row.Int64(4));
    job.max_attempts = static_cast<int>(row.Int64(5));
    job.last_error = OptionalText(row, 6);
    job.lease_until_ms = lease_until_ms;
    job.lease_token = std::string(request.lease_token);
  });
  tx.Commit();

  std::sort(result.jobs.begin(), result.jobs.end(),
            [](const ClaimedJob& a, const ClaimedJob& b) { return a.id < b.id; });
  return result;
}

bool CompleteJob(store::Connection& connection, const ClaimedJob& job, int64_t now_ms) {
  return connection.Execute(
             "UPDATE jobs SET state = 2, finished_at_ms = $3, lease_token = NULL "
             "WHERE id = $1 AND lease_token = $2 AND state = 1",
             {job.id, std::string_view(job.lease_token), now_ms}) == 1;
}

bool CompleteReadyJob(store::Connection& connection, int64_t id, int64_t now_ms) {
  return connection.Execute(
             "UPDATE jobs SET state = 2, finished_at_ms = $2 WHERE id = $1 AND state = 0",
             {id, now_ms}) == 1;
}

bool RescheduleJob(store::Connection& connection, const ClaimedJob& job, int64_t run_at_ms,
                   std::string_view error) {
  const std::string clean = SanitizeJobError(error);
  return connection.Execute(
             "UPDATE jobs SET state = 0, run_at_ms = $3, last_error = $4, lease_token = NULL "
             "WHERE id = $1 AND lease_token = $2 AND state = 1",
             {job.id, std::string_view(job.lease_token), run_at_ms, std::string_view(clean)}) == 1;
}

bool BuryJob(store::Connection& connection, const ClaimedJob& job, int64_t now_ms,
             std::string_view error) {
  const std::string clean = SanitizeJobError(error);
  return connection.Execute(
             "UPDATE jobs SET state = 3, finished_at_ms = $3, last_error = $4, lease_token = NULL "
             "WHERE id = $1 AND lease_token = $2 AND state = 1",
             {job.id, std::string_view(job.lease_token), now_ms, std::string_view(clean)}) == 1;
}

bool ContinueJob(store::Connection& connection, const ClaimedJob& job, int64_t run_at_ms,
                 const std::optional<std::string>& next_payload) {
  return connection.Execute(
             "UPDATE jobs SET state = 0, run_at_ms = $3, attempts = 0, last_error = NULL, "
             "lease_token = NULL, payload = COALESCE($4, payload) "
             "WHERE id = $1 AND lease_token = $2 AND state = 1",
             {job.id, std::string_view(job.lease_token), run_at_ms, OptionalParam(next_payload)}) ==
         1;
}

bool ExtendLease(store::Connection& connection, int64_t id, std::string_view lease_token,
                 int64_t lease_until_ms) {
  return connection.Execute(
             "UPDATE jobs SET lease_until_ms = $3 WHERE id = $1 AND lease_token = $2 AND state = 1",
             {id, lease_token, lease_until_ms}) == 1;
}

bool ReleaseJob(store::Connection& connection, const ClaimedJob& job) {
  return connection.Execute(
             "UPDATE jobs SET state = 0, attempts = attempts - 1, lease_token = NULL "
             "WHERE id = $1 AND lease_token = $2 AND state = 1",
             {job.id, std::string_view(job.lease_token)}) == 1;
}

}  // namespace cambista::jobs
