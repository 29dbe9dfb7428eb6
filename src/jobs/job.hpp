// The values that travel through the durable job queue: a job to enqueue, a job row as stored, a
// job claimed under a lease, and what a handler says happened to it.
//
// A job is at-least-once: a handler may run more than once for the same job (its worker died, its
// lease expired, its completion failed to commit), so every handler must be idempotent, keyed by
// the job id or by something in its payload.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace cambista::jobs {

// Stored numbers; never change or reuse them.
enum class JobState : int64_t {
  kReady = 0,    // waiting for run_at_ms
  kRunning = 1,  // claimed; held until lease_until_ms
  kDone = 2,
  kDead = 3,  // dead letter: attempts exhausted or permanent failure
};

std::string_view JobStateName(JobState state);  // "ready" | "running" | "done" | "dead"

inline constexpr int kJobAttemptsMaxDefault = 10;

struct NewJob {
  std::string kind;     // names the handler, e.g. "payout.submit"
  std::string payload;  // usually JSON
  // A second enqueue with the same key does nothing and returns the existing job, whatever its
  // state; the key stays taken while the row exists: also after the job is done or dead, until
  // retention purges the finished job (retention.hpp; 30 days by default), which frees the key.
  std::optional<std::string> dedupe_key;
  int max_attempts = kJobAttemptsMaxDefault;  // >= 1
  int64_t delay_ms = 0;                       // run no earlier than now + delay_ms ...
  std::optional<int64_t> run_at_ms;           // ... or than this absolute time, if set
};

struct EnqueueResult {
  int64_t id = 0;
  bool created = false;  // false: the dedupe key already named job `id`
};

// A whole row of the jobs table, for inspection (tests, admin API, dead-letter review).
struct JobRecord {
  int64_t id = 0;
  std::string kind;
  std::string payload;
  std::optional<std::string> dedupe_key;
  JobState state = JobState::kReady;
  int attempts = 0;
  int max_attempts = 0;
  int64_t run_at_ms = 0;
  int64_t lease_until_ms = 0;
  std::optional<std::string> last_error;
  int64_t created_at_ms = 0;
  std::optional<int64_t> finished_at_ms;
};

// A job held by one worker until lease_until_ms (as claimed; the queue's heartbeat extends it while
// the job runs). Finishing it is conditional on lease_token: once the lease has expired and
// another worker has claimed the job, this copy can change nothing.
struct ClaimedJob {
  int64_t id = 0;
  std::string kind;
  std::string payload;
  std::optional<std::string> dedupe_key;
  int attempt = 0;  // 1 on the first run; counts runs whose worker died too
  int max_attempts = 0;
  int64_t lease_until_ms = 0;
  std::string lease_token;
  std::optional<std::string> last_error;  // from the previous attempt, if any
};

// What a handler reports. A handler that throws is treated as Retry(exception text).
class JobOutcome {
 public:
  enum class Kind { kDone, kRetry, kFail, kContinue };

  static JobOutcome Done() { return JobOutcome(Kind::kDone, {}, std::nullopt); }
  // This run did a bounded share of the work and more remains (see "Working in batches" in
  // job_queue.hpp). The job is ready again at once, due now, so every job that came due before
  // now is claimed ahead of it; its retry budget starts over (attempts back to 0, last_error
  // cleared), since the run made progress. `next_payload`, if given, replaces the payload: a cursor
  // telling the next run where to resume.
  static JobOutcome Continue(std::optional<std::string> next_payload = std::nullopt) {
    JobOutcome outcome(Kind::kContinue, {}, std::nullopt);
    outcome.next_payload_ = std::move(next_payload);
    return outcome;
  }
  // Runs again after the queue's exponential backoff, or after delay_ms if given; dead once the
  // job has used max_attempts.
  static JobOutcome Retry(std::string error, std::optional<int64_t> delay_ms = std::nullopt) {
    return JobOutcome(Kind::kRetry, std::move(error), delay_ms);
  }
  // Dead now, whatever attempts remain (the request can never succeed).
  static JobOutcome Fail(std::string error) {
    return JobOutcome(Kind::kFail, std::move(error), std::nullopt);
  }

  Kind kind() const { return kind_; }
  const std::string& error() const { return error_; }
  const std::optional<int64_t>& delay_ms() const { return delay_ms_; }
  const std::optional<std::string>& next_payload() const { return next_payload_; }

 private:
  JobOutcome(Kind kind, std::string error, std::optional<int64_t> delay_ms)
      : kind_(kind), error_(std::move(error)), delay_ms_(delay_ms) {}

  Kind kind_;
  std::string error_;
  std::optional<int64_t> delay_ms_;
  std::optional<std::string> next_payload_;  // kContinue only
};

}  // namespace cambista::jobs
