// JobQueue runs durable jobs: handlers registered by kind, worker threads that claim due jobs under
// a lease, retries with exponential backoff and jitter, dead letter after max_attempts, and
// periodic schedules. Jobs come in through Enqueue (job_table.hpp) inside the transaction that
// changed the state they follow from (the transactional outbox), from any process sharing the
// database.
//
// Delivery is at-least-once. A job runs again when its worker dies or runs past its lease
// (lease_ms must exceed the longest handler run), or when recording its outcome fails; handlers
// must therefore be idempotent. A worker finishes a job only while it still holds the job's lease
// token, so a stale worker cannot overwrite the outcome of the worker that claimed the job after
// it.
//
// For deterministic tests, RunOnce/RunDue claim and run jobs on the calling thread; with a
// ManualClock nothing else moves time. Start/Stop run worker threads, each with its own Connection,
// polling every poll_interval_ms (Wake() cuts the wait short).
#pragma once

#include <atomic>
#include <climits>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "jobs/backoff.hpp"
#include "jobs/job.hpp"
#include "jobs/job_schedule.hpp"
#include "jobs/job_table.hpp"
#include "store/database.hpp"

namespace cambista::jobs {

struct JobQueueOptions {
  int64_t lease_ms = 5 * 60'000;
  BackoffOptions backoff;
  int64_t poll_interval_ms = 1'000;
  // Jobs claimed per claim transaction. Every claimed job's lease starts at the claim, so a batch
  // of slow handlers may outlive the leases of its last jobs; raise it for short handlers only.
  int batch_size = 1;
  int worker_count = 1;
  // Tries of a claim or finish that fails with store::Error::Kind::kRetryable.
  int transaction_attempts_max = 5;
  // Told about failures the workers catch and survive (claims, finishes, ticks, reconnects).
  // Called from worker threads; must not throw.
  std::function<void(std::string_view message)> on_error;
};

struct JobContext {
  const ClaimedJob& job;
  // The running worker's own connection, with no transaction open: the handler may open one (to
  // change state and enqueue follow-up jobs together) but must leave none open.
  store::Connection& connection;
};

using JobHandler = std::function<JobOutcome(const JobContext& context)>;

// In-process counters since construction (this process only; QueueStats covers the database).
struct JobCounters {
  int64_t runs = 0;           // handler invocations
  int64_t succeeded = 0;      // runs recorded as done
  int64_t failed = 0;         // runs that returned Retry or Fail, or threw
  int64_t retried = 0;        // failed runs rescheduled
  int64_t dead_lettered = 0;  // jobs this process moved to dead (incl. expired last leases)
  int64_t lost_leases = 0;    // outcomes dropped because the lease had passed to another worker
  int64_t store_errors = 0;   // claims, finishes or ticks that failed in the database
};

class JobQueue {
 public:
  JobQueue(store::Database& database, const Clock& clock, JobQueueOptions options = {});
  ~JobQueue();  // Stop()
  JobQueue(const JobQueue&) = delete;
  JobQueue& operator=(const JobQueue&) = delete;

  // Only jobs of registered kinds are claimed; others wait for a process that knows them. Register
  // every kind before Start() (and before running jobs from another thread).
  void Register(std::string kind, JobHandler handler);

  // Enqueues in a transaction of its own and wakes the workers. Code changing state enqueues with
  // jobs::Enqueue inside its own transaction instead.
  EnqueueResult Enqueue(const NewJob& job);

  void AddSchedule(const JobSchedule& schedule);  // upsert, see UpsertSchedule
  bool RemoveSchedule(std::string_view name);
  int TickSchedules();  // jobs enqueued

  // Ticks schedules, then claims and runs one batch on this thread; returns the jobs run.
  int RunOnce();
  // Ticks schedules, then claims and runs batches until nothing is due or max_jobs have run.
  int RunDue(int max_jobs = INT_MAX);

  void Start();
  // Wakes sleeping workers and waits for in-flight handlers to return. Jobs claimed in a batch but
  // not started yet are released (ready again, the attempt not counted).
  void Stop();
  void Wake();  // workers look for due jobs now instead of at their next poll
  // Started and not stopping: the worker threads are there (readiness of `cambista serve`).
  bool running() const { return running_.load(std::memory_order_acquire); }

  QueueStats Stats();
  JobCounters counters() const;

 private:
  int ClaimAndRun(store::Connection& connection, int limit);
  void RunJob(store::Connection& connection, const ClaimedJob& job);
  void Finish(store::Connection& connection, const ClaimedJob& job, const JobOutcome& outcome);
  int TickOn(store::Connection& connection);
  void WorkerLoop(std::unique_ptr<store::Connection> connection);
  store::Connection& ControlConnection();  // control_mutex_ held
  std::string NewLeaseToken();
  void ReportError(std::string_view message);
  template <class F>
  auto WithRetries(F&& body) -> decltype(body());

  store::Database& database_;
  const Clock& clock_;
  const JobQueueOptions options_;
  Backoff backoff_;

  // Frozen once workers start.
  std::map<std::string, JobHandler, std::less<>> handlers_;
  std::vector<std::string> kinds_;

  // For calls on the caller's thread (RunOnce, Enqueue, Stats, ...).
  std::mutex control_mutex_;
  std::unique_ptr<store::Connection> control_connection_;

  std::mutex token_mutex_;
  std::random_device token_source_;

  std::mutex tick_mutex_;  // one ticker per process at a time

  std::mutex worker_mutex_;
  std::condition_variable worker_wake_;
  bool started_ = false;
  bool stopping_ = false;
  std::atomic<bool> stop_requested_{false};  // stopping_, readable without worker_mutex_
  std::atomic<bool> running_{false};
  uint64_t wake_generation_ = 0;
  std::vector<std::thread> workers_;

  struct AtomicCounters {
    std::atomic<int64_t> runs{0};
    std::atomic<int64_t> succeeded{0};
    std::atomic<int64_t> failed{0};
    std::atomic<int64_t> retried{0};
    std::atomic<int64_t> dead_lettered{0};
    std::atomic<int64_t> lost_leases{0};
    std::atomic<int64_t> store_errors{0};
  };
  AtomicCounters counters_;
};

}  // namespace cambista::jobs
