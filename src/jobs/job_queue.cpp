#include "jobs/job_queue.hpp"

#include <algorithm>
#include <chrono>
#include <exception>
#include <string>
#include <utility>

#include "core/assert.hpp"
#include "core/int128.hpp"

namespace cambista::jobs {
namespace {

JobQueueOptions WithDefaults(JobQueueOptions options) {
  if (options.heartbeat_interval_ms == 0) {
    options.heartbeat_interval_ms = std::max<int64_t>(options.lease_ms / 3, 1);
  }
  return options;
}

}  // namespace

JobRun::JobRun(const Clock& clock, const ClaimedJob& job, const std::atomic<bool>& stopping)
    : clock_(clock),
      job_id_(job.id),
      lease_token_(job.lease_token),
      stopping_(stopping),
      lease_until_ms_(job.lease_until_ms) {}

bool JobRun::lease_held() const {
  return !lost_.load(std::memory_order_acquire) &&
         clock_.NowMs() < lease_until_ms_.load(std::memory_order_acquire);
}

bool JobRun::ShouldYield() const {
  return stopping_.load(std::memory_order_acquire) || !lease_held() ||
         clock_.NowMs() >= yield_at_ms_.load(std::memory_order_acquire);
}

void JobRun::Extended(int64_t lease_until_ms) {
  lease_until_ms_.store(lease_until_ms, std::memory_order_release);
}

void JobRun::Lost() {
  lost_.store(true, std::memory_order_release);
}

void JobRun::Started(int64_t yield_at_ms) {
  yield_at_ms_.store(yield_at_ms, std::memory_order_release);
}

JobOutcome RunBatches(const JobContext& context, int64_t batch_items_max,
                      const std::function<int64_t()>& batch, int batches_max) {
  CAMBISTA_CHECK(batch_items_max >= 1);
  CAMBISTA_CHECK(batches_max >= 1);
  for (int batches = 0; batches < batches_max; ++batches) {
    if (batch() < batch_items_max) return JobOutcome::Done();
    if (context.ShouldYield()) break;
  }
  return JobOutcome::Continue();
}

JobQueue::JobQueue(store::Database& database, const Clock& clock, JobQueueOptions options)
    : database_(database),
      clock_(clock),
      options_(WithDefaults(std::move(options))),
      backoff_(options_.backoff) {
  CAMBISTA_CHECK(options_.lease_ms >= 2);
  CAMBISTA_CHECK(options_.heartbeat_interval_ms >= 1);
  CAMBISTA_CHECK(options_.heartbeat_interval_ms < options_.lease_ms);
  CAMBISTA_CHECK(options_.yield_after_ms >= 1);
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
  if (static_cast<int>(claim.jobs.size()) == limit) Wake();  // more may be due: the next worker
  // Every claimed job is beaten for from now, also while it waits behind the others of its batch.
  std::vector<std::shared_ptr<JobRun>> runs;
  for (const ClaimedJob& job : claim.jobs) runs.push_back(Hold(job));
  struct Unholder {
    JobQueue& queue;
    const std::vector<std::shared_ptr<JobRun>>& runs;
    ~Unholder() {
      for (const auto& run : runs) queue.Unhold(*run);
    }
  } unholder{*this, runs};
  for (size_t i = 0; i < claim.jobs.size(); ++i) {
    if (stop_requested_.load(std::memory_order_acquire)) {
      // Stopping: hand the rest of the batch back now rather than when its lease expires.
      ReleaseUnstarted(connection, claim.jobs[i]);
    } else {
      RunJob(connection, claim.jobs[i], *runs[i]);
    }
    Unhold(*runs[i]);
  }
  return static_cast<int>(claim.jobs.size());
}

void JobQueue::ReleaseUnstarted(store::Connection& connection, const ClaimedJob& job) {
  try {
    WithRetries([&] { return ReleaseJob(connection, job); });
  } catch (const std::exception& error) {
    ++counters_.store_errors;
    ReportError(std::string("jobs: releasing job ") + std::to_string(job.id) +
                " failed: " + error.what());
  }
}

std::shared_ptr<JobRun> JobQueue::Hold(const ClaimedJob& job) {
  auto run = std::make_shared<JobRun>(clock_, job, stop_requested_);
  std::lock_guard lock(held_mutex_);
  held_.push_back(run);
  return run;
}

void JobQueue::Unhold(const JobRun& run) {
  std::lock_guard lock(held_mutex_);
  std::erase_if(held_, [&](const std::shared_ptr<JobRun>& held) { return held.get() == &run; });
}

void JobQueue::RunJob(store::Connection& connection, const ClaimedJob& job, JobRun& run) {
  const auto handler = handlers_.find(job.kind);
  CAMBISTA_CHECK(handler != handlers_.end());  // claims ask only for registered kinds
  ++counters_.runs;
  run.Started(clock_.NowMs() + options_.yield_after_ms);
  std::optional<JobOutcome> outcome;
  try {
    outcome = handler->second(JobContext(job, connection, &run));
  } catch (const std::exception& error) {
    outcome = JobOutcome::Retry(std::string("handler threw: ") + error.what());
  } catch (...) {
    outcome = JobOutcome::Retry("handler threw a non-standard exception");
  }
  run.Finishing();
  try {
    Finish(connection, job, *outcome);
  } catch (const std::exception& error) {
    // The job stays running under our lease; once the lease expires it is claimed again.
    ++counters_.store_errors;
    ReportError(std::string("jobs: recording the outcome of job ") + std::to_string(job.id) +
                " failed: " + error.what());
  }
}

int JobQueue::Heartbeat() {
  std::vector<std::shared_ptr<JobRun>> runs;
  {
    std::lock_guard lock(held_mutex_);
    runs = held_;
  }
  if (runs.empty()) return 0;
  std::lock_guard beat(heartbeat_mutex_);
  int extended = 0;
  try {
    if (heartbeat_connection_ == nullptr) heartbeat_connection_ = database_.Connect();
    for (const auto& run : runs) {
      if (run->finishing()) continue;
      const int64_t lease_until_ms = clock_.NowMs() + options_.lease_ms;
      const bool held = WithRetries([&] {
        return ExtendLease(*heartbeat_connection_, run->job_id(), run->lease_token(),
                           lease_until_ms);
      });
      if (held) {
        run->Extended(lease_until_ms);
        ++extended;
        ++counters_.leases_extended;
      } else if (!run->finishing()) {
        run->Lost();
        ++counters_.leases_lost_running;
      }
    }
  } catch (const store::Error& error) {
    // The leases run out unless a later beat gets through; lease_held() turns false meanwhile.
    ++counters_.store_errors;
    ReportError(std::string("jobs: heartbeat: ") + error.what());
    if (error.kind() == store::Error::Kind::kConnection) heartbeat_connection_.reset();
  }
  return extended;
}

void JobQueue::HeartbeatLoop() {
  // Connect now, off the caller's thread (Start() need not wait for it), to be ready for the first
  // beat; a failure here is retried by that beat.
  try {
    std::lock_guard beat(heartbeat_mutex_);
    if (heartbeat_connection_ == nullptr) heartbeat_connection_ = database_.Connect();
  } catch (const store::Error& error) {
    ++counters_.store_errors;
    ReportError(std::string("jobs: heartbeat: ") + error.what());
  }
  std::unique_lock lock(worker_mutex_);
  while (!heartbeat_stopping_) {
    heartbeat_wake_.wait_for(lock, std::chrono::milliseconds(options_.heartbeat_interval_ms),
                             [&] { return heartbeat_stopping_; });
    if (heartbeat_stopping_) return;
    lock.unlock();
    Heartbeat();
    lock.lock();
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
    case JobOutcome::Kind::kContinue:
      held = WithRetries(
          [&] { return ContinueJob(connection, job, clock_.NowMs(), outcome.next_payload()); });
      if (held) ++counters_.continued;
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
  heartbeat_stopping_ = false;
  stop_requested_.store(false, std::memory_order_release);
  for (auto& connection : connections) {
    workers_.emplace_back(
        [this, owned = std::move(connection)]() mutable { WorkerLoop(std::move(owned)); });
  }
  heartbeat_ = std::thread([this] { HeartbeatLoop(); });
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
  {
    std::lock_guard lock(worker_mutex_);
    heartbeat_stopping_ = true;
  }
  heartbeat_wake_.notify_all();
  heartbeat_.join();
  std::lock_guard lock(worker_mutex_);
  workers_.clear();
  started_ = false;
  stopping_ = false;
  stop_requested_.store(false, std::memory_order_release);
}

// One worker, not all: a worker that claims a full batch wakes the next (ClaimAndRun), so a burst
// of jobs fans out over the workers while a single job wakes one claimer rather than every idle
// worker racing for the write lock.
void JobQueue::Wake() {
  {
    std::lock_guard lock(worker_mutex_);
    ++wake_generation_;
  }
  worker_wake_.notify_one();
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
  snapshot.continued = counters_.continued.load();
  snapshot.leases_extended = counters_.leases_extended.load();
  snapshot.leases_lost_running = counters_.leases_lost_running.load();
  return snapshot;
}

}  // namespace cambista::jobs
