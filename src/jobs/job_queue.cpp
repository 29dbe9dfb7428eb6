#include "jobs/job_queue.hpp"

#include <algorithm>
#include <chrono>
#include <exception>
#include <string>
#include <utility>

#include "core/assert.hpp"
#include "core/int128.hpp"

namespace cambista::jobs {

JobQueue::JobQueue(store::Database& database, const Clock& clock, JobQueueOptions options)
    : database_(database), clock_(clock), options_(std::move(options)), backoff_(options_.backoff) {
  CAMBISTA_CHECK(options_.lease_ms >= 1);
  CAMBISTA_CHECK(options_.poll_interval_ms >= 1);
  CAMBISTA_CHECK(options_.batch_size >= 1);
  CAMBISTA_CHECK(options_.worker_count >= 1);
  CAMBISTA_CHECK(options_.transaction_attempts_max >= 1);
}

JobQueue::~JobQueue() {
  Stop();
}

void JobQueue::Register(std::string kind, JobHandler handler) {
  CAMBISTA_CHECK(!kind.empty());
  CAMBISTA_CHECK(handler != nullptr);
  std::lock_guard control(control_mutex_);
  {
    std::lock_guard lock(worker_mutex_);
    CAMBISTA_CHECK(!started_);  // workers read the registry without a lock
  }
  handlers_.insert_or_assign(kind, std::move(handler));
  kinds_.clear();
  for (const auto& entry : handlers_) kinds_.push_back(entry.first);  // sorted: stable SQL text
}

template <class F>
auto JobQueue::WithRetries(F&& body) -> decltype(body()) {
  for (int attempt = 1;; ++attempt) {
    try {
      return body();
    } catch (const store::Error& error) {
      if (error.kind() != store::Error::Kind::kRetryable ||
          attempt >= options_.transaction_attempts_max) {
        throw;
      }
    }
  }
}

store::Connection& JobQueue::ControlConnection() {
  if (control_connection_ == nullptr) control_connection_ = database_.Connect();
  return *control_connection_;
}

EnqueueResult JobQueue::Enqueue(const NewJob& job) {
  EnqueueResult result;
  {
    std::lock_guard control(control_mutex_);
    store::Connection& connection = ControlConnection();
    result = WithRetries([&] {
      store::Transaction tx(connection, store::TransactionMode::kWrite);
      EnqueueResult inserted = jobs::Enqueue(connection, clock_, job);
      tx.Commit();
      return inserted;
    });
  }
  Wake();
  return result;
}

void JobQueue::AddSchedule(const JobSchedule& schedule) {
  std::lock_guard control(control_mutex_);
  store::Connection& connection = ControlConnection();
  WithRetries([&] { UpsertSchedule(connection, clock_, schedule); });
}

bool JobQueue::RemoveSchedule(std::string_view name) {
  std::lock_guard control(control_mutex_);
  store::Connection& connection = ControlConnection();
  return WithRetries([&] { return jobs::RemoveSchedule(connection, name); });
}

int JobQueue::TickSchedules() {
  std::lock_guard control(control_mutex_);
  return TickOn(ControlConnection());
}

int JobQueue::TickOn(store::Connection& connection) {
  std::unique_lock tick(tick_mutex_, std::try_to_lock);
  if (!tick.owns_lock()) return 0;  // another thread of this process is ticking right now
  return WithRetries([&] { return jobs::TickSchedules(connection, clock_); });
}

int JobQueue::RunOnce() {
  std::lock_guard control(control_mutex_);
  store::Connection& connection = ControlConnection();
  TickOn(connection);
  return ClaimAndRun(connection, options_.batch_size);
}

int JobQueue::RunDue(int max_jobs) {
  std::lock_guard control(control_mutex_);
  store::Connection& connection = ControlConnection();
  TickOn(connection);
  int ran = 0;
  while (ran < max_jobs) {
    const int claimed = ClaimAndRun(connection, std::min(options_.batch_size, max_jobs - ran));
    if (claimed == 0) break;
    ran += claimed;
  }
  return ran;
}

std::string JobQueue::NewLeaseToken() {
  u128 token = 0;
  std::lock_guard lock(token_mutex_);
  for (int i = 0; i < 4; ++i) token = (token << 32) | token_source_();
  return ToHex32(token);
}

int JobQueue::ClaimAndRun(store::Connection& connection, int limit) {
  if (kinds_.empty()) return 0;
  const std::string token = NewLeaseToken();
  ClaimResult claim = WithRetries([&] {
    ClaimRequest request;
    request.now_ms = clock_.NowMs();
    request.lease_ms = options_.lease_ms;
    request.limit = limit;
    request.kinds = kinds_;
    request.lease_token = token;
    return ClaimJobs(connection, request);
  });
  counters_.dead_lettered += claim.dead_lettered;
  for (const ClaimedJob& job : claim.jobs) {
    if (stop_requested_.load(std::memory_order_acquire)) {
      // Stopping: hand the rest of the batch back now rather than when its lease expires.
      try {
        WithRetries([&] { return ReleaseJob(connection, job); });
      } catch (const std::exception& error) {
        ++counters_.store_errors;
        ReportError(std::string("jobs: releasing job ") + std::to_string(job.id) +
                    " failed: " + error.what());
      }
      continue;
    }
    RunJob(connection, job);
  }
  return static_cast<int>(claim.jobs.size());
}

void JobQueue::RunJob(store::Connection& connection, const ClaimedJob& job) {
  const auto handler = handlers_.find(job.kind);
  CAMBISTA_CHECK(handler != handlers_.end());  // claims ask only for registered kinds
  ++counters_.runs;
  std::optional<JobOutcome> outcome;
  try {
    outcome = handler->second(JobContext{job, connection});
  } catch (const std::exception& error) {
    outcome = JobOutcome::Retry(std::string("handler threw: ") + error.what());
  } catch (...) {
    outcome = JobOutcome::Retry("handler threw a non-standard exception");
  }
  try {
    Finish(connection, job, *outcome);
  } catch (const std::exception& error) {
    // The job stays running under our lease; once the lease expires it is claimed again.
    ++counters_.store_errors;
    ReportError(std::string("jobs: recording the outcome of job ") + std::to_string(job.id) +
                " failed: " + error.what());
  }
}

void JobQueue::Finish(store::Connection& connection, const ClaimedJob& job,
                      const JobOutcome& outcome) {
  bool held = false;
  switch (outcome.kind()) {
    case JobOutcome::Kind::kDone:
      held = WithRetries([&] { return CompleteJob(connection, job, clock_.NowMs()); });
      if (held) ++counters_.succeeded;
      break;
    case JobOutcome::Kind::kRetry:
      ++counters_.failed;
      if (job.attempt >= job.max_attempts) {
        held =
            WithRetries([&] { return BuryJob(connection, job, clock_.NowMs(), outcome.error()); });
        if (held) ++counters_.dead_lettered;
      } else {
        const int64_t delay_ms = outcome.delay_ms().has_value()
                                     ? std::max<int64_t>(*outcome.delay_ms(), 0)
                                     : backoff_.DelayMs(job.attempt);
        held = WithRetries([&] {
          return RescheduleJob(connection, job, clock_.NowMs() + delay_ms, outcome.error());
        });
        if (held) ++counters_.retried;
      }
      break;
    case JobOutcome::Kind::kFail:
      ++counters_.failed;
      held = WithRetries([&] { return BuryJob(connection, job, clock_.NowMs(), outcome.error()); });
      if (held) ++counters_.dead_lettered;
      break;
  }
  if (!held) ++counters_.lost_leases;
}

void JobQueue::Start() {
  std::lock_guard lock(worker_mutex_);
  CAMBISTA_CHECK(!started_);
  // Connect on the caller's thread, so that a database that cannot be reached fails Start().
  std::vector<std::unique_ptr<store::Connection>> connections;
  for (int i = 0; i < options_.worker_count; ++i) connections.push_back(database_.Connect());
  started_ = true;
  stopping_ = false;
  stop_requested_.store(false, std::memory_order_release);
  for (auto& connection : connections) {
    workers_.emplace_back(
        [this, owned = std::move(connection)]() mutable { WorkerLoop(std::move(owned)); });
  }
  running_.store(true, std::memory_order_release);
}

void JobQueue::Stop() {
  {
    std::lock_guard lock(worker_mutex_);
    if (!started_) return;
    running_.store(false, std::memory_order_release);
    stopping_ = true;
    stop_requested_.store(true, std::memory_order_release);
  }
  worker_wake_.notify_all();
  for (std::thread& worker : workers_) worker.join();
  std::lock_guard lock(worker_mutex_);
  workers_.clear();
  started_ = false;
  stopping_ = false;
  stop_requested_.store(false, std::memory_order_release);
}

void JobQueue::Wake() {
  {
    std::lock_guard lock(worker_mutex_);
    ++wake_generation_;
  }
  worker_wake_.notify_all();
}

void JobQueue::WorkerLoop(std::unique_ptr<store::Connection> connection) {
  while (true) {
    uint64_t seen_generation = 0;
    {
      std::lock_guard lock(worker_mutex_);
      if (stopping_) return;
      seen_generation = wake_generation_;
    }
    int ran = 0;
    try {
      if (connection == nullptr) connection = database_.Connect();
      // A failing tick must not hold up the jobs already due.
      try {
        TickOn(*connection);
      } catch (const store::Error& error) {
        if (error.kind() == store::Error::Kind::kConnection) throw;
        ++counters_.store_errors;
        ReportError(std::string("jobs: ticking schedules failed: ") + error.what());
      }
      ran = ClaimAndRun(*connection, options_.batch_size);
    } catch (const store::Error& error) {
      ++counters_.store_errors;
      ReportError(std::string("jobs: worker: ") + error.what());
      if (error.kind() == store::Error::Kind::kConnection) connection.reset();  // reconnect later
      ran = 0;  // wait a poll interval before trying again
    } catch (const std::exception& error) {
      ++counters_.store_errors;
      ReportError(std::string("jobs: worker: ") + error.what());
      ran = 0;
    }
    if (ran > 0) continue;  // more may be due now
    std::unique_lock lock(worker_mutex_);
    worker_wake_.wait_for(lock, std::chrono::milliseconds(options_.poll_interval_ms),
                          [&] { return stopping_ || wake_generation_ != seen_generation; });
  }
}

void JobQueue::ReportError(std::string_view message) {
  if (!options_.on_error) return;
  try {
    options_.on_error(message);
  } catch (...) {  // a reporting hook must not take a worker down
  }
}

QueueStats JobQueue::Stats() {
  std::lock_guard control(control_mutex_);
  return LoadQueueStats(ControlConnection());
}

JobCounters JobQueue::counters() const {
  JobCounters snapshot;
  snapshot.runs = counters_.runs.load();
  snapshot.succeeded = counters_.succeeded.load();
  snapshot.failed = counters_.failed.load();
  snapshot.retried = counters_.retried.load();
  snapshot.dead_lettered = counters_.dead_lettered.load();
  snapshot.lost_leases = counters_.lost_leases.load();
  snapshot.store_errors = counters_.store_errors.load();
  return snapshot;
}

}  // namespace cambista::jobs
