// JobQueue runs durable jobs: handlers registered by kind, worker threads that claim due jobs under
// a lease, retries with exponential backoff and jitter, dead letter after max_attempts, and
// periodic schedules. Jobs come in through Enqueue (job_table.hpp) inside the transaction that
// changed the state they follow from (the transactional outbox), from any process sharing the
// database.
//
// Leases and the heartbeat. A claim holds a job for lease_ms (30 s by default). While the job
// waits in its claimed batch and while its handler runs, a heartbeat thread of the queue extends
// the lease every heartbeat_interval_ms (lease_ms / 3 by default), on a connection of its own. So
// the job of a crashed worker is claimed again by another worker within lease_ms, while a handler
// that runs for an hour is never run a second time meanwhile, as long as its beats reach the
// database. A beat that finds the lease gone (the database was unreachable for a whole lease,
// the process stalled, a clock jumped, and another worker claimed the job) marks it lost; a beat
// that fails leaves the lease to run out. Either way JobContext::lease_held() turns false: a long
// handler checks it (or ShouldYield()) between batches and stops, since another worker may now be
// running the same job and the outcome of this run will be dropped. On SQLite the heartbeat needs
// the write lock: a handler must not hold a write transaction for longer than the beat's slack
// (lease_ms - heartbeat_interval_ms).
//
// Working in batches. A handler with an unbounded amount of work (expiring every overdue charge,
// purging a month of rows) must not hold a worker for all of it, or one backlog starves every other
// job. It works in bounded batches, each a short transaction of its own, and between batches asks
// context.ShouldYield(): true once the run has used yield_after_ms, when the lease is not held, or
// when the queue is stopping. It then returns JobOutcome::Continue(): the job goes back to ready,
// due now, so every job that came due meanwhile is claimed first, and the next run picks up the
// remaining work (re-querying what is left, or from a cursor passed as Continue's next_payload).
// When a batch finds less than a full batch of work, it returns Done(). RunBatches below is this
// loop. A periodic job also needs no guard against piling up: its schedule enqueues no new
// occurrence while the previous one is still ready or running (JobSchedule::overlap).
//
//   queue.Register("charges.expire", [&](const jobs::JobContext& context) {
//     return jobs::RunBatches(context, kExpireBatchMax, [&] {
//       return service.ExpireDue(context.connection, kExpireBatchMax);  // one transaction
//     });
//   });
//
// A batch reports how many items it found (selected with LIMIT batch_items_max), not how many it
// changed, so that items lost to a concurrent writer do not end the work early. Every batch must
// make progress: an item it cannot move (a provider that keeps failing) must drop out of its query
// (mark it, back it off, or move a cursor past it), or each run would find it again and continue
// forever. Each item is handled idempotently, as any job may run twice. In a test on a ManualClock
// a continued job is due again at once: RunDue runs it until it is done, RunOnce one run at a time.
//
// Delivery is at-least-once. A job runs again when its worker dies or loses its lease, or when
// recording its outcome fails; handlers must therefore be idempotent. A worker finishes a job only
// while it still holds the job's lease token, so a stale worker cannot overwrite the outcome of the
// worker that claimed the job after it.
//
// For deterministic tests, RunOnce/RunDue claim and run jobs on the calling thread and Heartbeat()
// beats once; with a ManualClock nothing else moves time. Start/Stop run worker threads, each with
// its own Connection, polling every poll_interval_ms (Wake() cuts the wait short), and the
// heartbeat thread.
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
  // How long a claim holds a job without a heartbeat: the longest a crashed worker's job waits.
  int64_t lease_ms = 30'000;
  // Between beats while jobs are held; 0: lease_ms / 3. Must be below lease_ms.
  int64_t heartbeat_interval_ms = 0;
  // How long a batched handler runs before ShouldYield() asks it to continue later.
  int64_t yield_after_ms = 1'000;
  BackoffOptions backoff;
  int64_t poll_interval_ms = 1'000;
  // Jobs claimed per claim transaction. The heartbeat keeps the leases of the jobs waiting behind a
  // slow one, but they wait: raise it for short handlers only.
  int batch_size = 1;
  int worker_count = 1;
  // Tries of a claim or finish that fails with store::Error::Kind::kRetryable.
  int transaction_attempts_max = 5;
  // Told about failures the workers catch and survive (claims, finishes, ticks, reconnects).
  // Called from worker threads; must not throw.
  std::function<void(std::string_view message)> on_error;
};

// One claimed job while this process holds it: its lease as last confirmed in the database and
// when its run should yield. Shared by the worker running the job and the heartbeat; thread-safe.
class JobRun {
 public:
  JobRun(const Clock& clock, const ClaimedJob& job, const std::atomic<bool>& stopping);
  JobRun(const JobRun&) = delete;
  JobRun& operator=(const JobRun&) = delete;

  int64_t job_id() const { return job_id_; }
  const std::string& lease_token() const { return lease_token_; }
  // Not known lost, and its confirmed end not reached by this process's clock.
  bool lease_held() const;
  bool ShouldYield() const;
  int64_t lease_until_ms() const { return lease_until_ms_.load(std::memory_order_acquire); }

  void Extended(int64_t lease_until_ms);  // a beat moved the lease
  void Lost();                            // a beat found the lease gone
  void Started(int64_t yield_at_ms);      // the handler starts now
  // The handler has returned: the outcome is being recorded, which ends the lease, so a beat that
  // then finds no lease has lost nothing.
  void Finishing() { finishing_.store(true, std::memory_order_release); }
  bool finishing() const { return finishing_.load(std::memory_order_acquire); }

 private:
  const Clock& clock_;
  const int64_t job_id_;
  const std::string lease_token_;
  const std::atomic<bool>& stopping_;
  std::atomic<int64_t> lease_until_ms_;
  std::atomic<bool> lost_{false};
  std::atomic<bool> finishing_{false};
  std::atomic<int64_t> yield_at_ms_{INT64_MAX};
};

// What a handler is given.
class JobContext {
 public:
  // `run` is the queue's record of the claim; without one (a context built by hand) the lease
  // counts as held and the run never has to yield.
  JobContext(const ClaimedJob& claimed, store::Connection& worker_connection,
             const JobRun* run = nullptr)
      : job(claimed), connection(worker_connection), run_(run) {}

  const ClaimedJob& job;
  // The running worker's own connection, with no transaction open: the handler may open one (to
  // change state and enqueue follow-up jobs together) but must leave none open.
  store::Connection& connection;

  // False once this run may no longer be the only one: its lease ran out without a confirmed beat,
  // or a beat found that another worker claimed the job. The outcome of this run will be dropped;
  // stop at the next safe point.
  bool lease_held() const { return run_ == nullptr || run_->lease_held(); }
  // Between batches: true when the run has had its share of time (yield_after_ms), the lease is
  // not held, or the queue is stopping. Return JobOutcome::Continue() then.
  bool ShouldYield() const { return run_ != nullptr && run_->ShouldYield(); }

 private:
  const JobRun* run_;
};

using JobHandler = std::function<JobOutcome(const JobContext& context)>;

// The batch loop of "Working in batches" above: calls `batch` (one bounded piece of work, in a
// transaction of its own; returns how many items it handled) until a batch handles fewer than
// batch_items_max (Done) or the run should yield, or batches_max batches have run (Continue).
JobOutcome RunBatches(const JobContext& context, int64_t batch_items_max,
                      const std::function<int64_t()>& batch, int batches_max = INT_MAX);

// In-process counters since construction (this process only; QueueStats covers the database).
struct JobCounters {
  int64_t runs = 0;             // handler invocations
  int64_t succeeded = 0;        // runs recorded as done
  int64_t failed = 0;           // runs that returned Retry or Fail, or threw
  int64_t retried = 0;          // failed runs rescheduled
  int64_t dead_lettered = 0;    // jobs this process moved to dead (incl. expired last leases)
  int64_t lost_leases = 0;      // outcomes dropped because the lease had passed to another worker
  int64_t store_errors = 0;     // claims, finishes, ticks or beats that failed in the database
  int64_t continued = 0;        // runs that did a batch and left the rest for a later run
  int64_t leases_extended = 0;  // successful beats, one per job
  int64_t leases_lost_running = 0;  // beats that found a held job's lease gone
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
  // Extends the lease of every job this queue holds now; returns how many it extended. The
  // heartbeat thread calls it; tests call it where a beat would have happened.
  int Heartbeat();

  void Start();
  // Wakes sleeping workers and waits for in-flight handlers to return. Jobs claimed in a batch but
  // not started yet are released (ready again, the attempt not counted).
  // Runs ask their handlers to yield (ShouldYield) from the moment Stop is called.
  void Stop();
  // One sleeping worker looks for due jobs now instead of at its next poll (and, finding a full
  // batch, wakes the next).
  void Wake();
  // Started and not stopping: the worker threads are there (readiness of `cambista serve`).
  bool running() const { return running_.load(std::memory_order_acquire); }

  QueueStats Stats();
  JobCounters counters() const;

 private:
  int ClaimAndRun(store::Connection& connection, int limit);
  void RunJob(store::Connection& connection, const ClaimedJob& job, JobRun& run);
  void ReleaseUnstarted(store::Connection& connection, const ClaimedJob& job);
  std::shared_ptr<JobRun> Hold(const ClaimedJob& job);  // the heartbeat now beats for it
  void Unhold(const JobRun& run);
  void HeartbeatLoop();
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

  std::mutex held_mutex_;
  std::vector<std::shared_ptr<JobRun>> held_;  // claimed and not finished yet

  std::mutex heartbeat_mutex_;  // one beat at a time, on its own connection
  std::unique_ptr<store::Connection> heartbeat_connection_;

  std::mutex worker_mutex_;
  std::condition_variable worker_wake_;
  bool started_ = false;
  bool stopping_ = false;
  std::atomic<bool> stop_requested_{false};  // stopping_, readable without worker_mutex_
  std::atomic<bool> running_{false};
  uint64_t wake_generation_ = 0;
  std::vector<std::thread> workers_;
  // The heartbeat outlives the workers at Stop: in-flight handlers keep their leases until they
  // return.
  std::condition_variable heartbeat_wake_;
  bool heartbeat_stopping_ = false;
  std::thread heartbeat_;

  struct AtomicCounters {
    std::atomic<int64_t> runs{0};
    std::atomic<int64_t> succeeded{0};
    std::atomic<int64_t> failed{0};
    std::atomic<int64_t> retried{0};
    std::atomic<int64_t> dead_lettered{0};
    std::atomic<int64_t> lost_leases{0};
    std::atomic<int64_t> store_errors{0};
    std::atomic<int64_t> continued{0};
    std::atomic<int64_t> leases_extended{0};
    std::atomic<int64_t> leases_lost_running{0};
  };
  AtomicCounters counters_;
};

}  // namespace cambista::jobs
