// JobQueue on both backends: running, retrying, dead-lettering, and worker threads.
#include "jobs/job_queue.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include "jobs_fixture.hpp"

namespace cambista::jobs {
namespace {

using JobQueueTest = JobsTest;
using namespace std::chrono_literals;

JobQueueOptions ExactOptions() {
  JobQueueOptions options;
  options.lease_ms = 30'000;
  options.backoff = {.base_ms = 1'000, .max_ms = 60'000, .jitter_fraction = 0.0, .seed = 1};
  return options;
}

int64_t EnqueueCommitted(store::Connection& connection, const Clock& clock, NewJob job) {
  store::Transaction tx(connection, store::TransactionMode::kWrite);
  const int64_t id = Enqueue(connection, clock, job).id;
  tx.Commit();
  return id;
}

NewJob MakeJob(std::string kind, std::string payload = "{}", int max_attempts = 10) {
  NewJob job;
  job.kind = std::move(kind);
  job.payload = std::move(payload);
  job.max_attempts = max_attempts;
  return job;
}

// Waits on a condition in real time, bounded; for tests with worker threads only.
template <class Condition>
bool WaitFor(Condition condition, std::chrono::milliseconds limit = 20s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

TEST_P(JobQueueTest, RunsAnEnqueuedJob) {
  JobQueue queue(database(), clock_, ExactOptions());
  std::vector<std::string> payloads;
  queue.Register("mail.send", [&](const JobContext& context) {
    payloads.push_back(context.job.payload);
    EXPECT_EQ(context.job.attempt, 1);
    return JobOutcome::Done();
  });
  const int64_t id = EnqueueCommitted(connection(), clock_, MakeJob("mail.send", "hello"));

  EXPECT_EQ(queue.RunDue(), 1);
  EXPECT_EQ(payloads, std::vector<std::string>{"hello"});
  EXPECT_EQ(queue.RunDue(), 0);
  const auto record = LoadJob(connection(), id);
  EXPECT_EQ(record->state, JobState::kDone);
  EXPECT_EQ(record->attempts, 1);
  EXPECT_EQ(record->finished_at_ms, clock_.NowMs());
  const JobCounters counters = queue.counters();
  EXPECT_EQ(counters.runs, 1);
  EXPECT_EQ(counters.succeeded, 1);
  EXPECT_EQ(counters.failed, 0);
  const QueueStats stats = queue.Stats();
  EXPECT_EQ(stats.done, 1);
  EXPECT_EQ(stats.ready + stats.running + stats.dead, 0);
}

TEST_P(JobQueueTest, HandlerSeesItsOwnConnectionAndMayEnqueueFollowUps) {
  JobQueue queue(database(), clock_, ExactOptions());
  queue.Register("trade.settle", [&](const JobContext& context) {
    store::Transaction tx(context.connection, store::TransactionMode::kWrite);
    Enqueue(context.connection, clock_, MakeJob("mail.send", "settled " + context.job.payload));
    tx.Commit();
    return JobOutcome::Done();
  });
  std::vector<std::string> mails;
  queue.Register("mail.send", [&](const JobContext& context) {
    mails.push_back(context.job.payload);
    return JobOutcome::Done();
  });
  queue.Enqueue(MakeJob("trade.settle", "7"));
  EXPECT_EQ(queue.RunDue(), 2);
  EXPECT_EQ(mails, std::vector<std::string>{"settled 7"});
}

TEST_P(JobQueueTest, RetriesWithExponentialBackoff) {
  JobQueue queue(database(), clock_, ExactOptions());
  int runs = 0;
  queue.Register("payout.submit", [&](const JobContext& context) {
    ++runs;
    EXPECT_EQ(context.job.attempt, runs);
    if (runs < 3) return JobOutcome::Retry("provider timeout " + std::to_string(runs));
    EXPECT_EQ(context.job.last_error, "provider timeout 2");
    return JobOutcome::Done();
  });
  const int64_t id = EnqueueCommitted(connection(), clock_, MakeJob("payout.submit"));

  EXPECT_EQ(queue.RunDue(), 1);
  auto record = LoadJob(connection(), id);
  EXPECT_EQ(record->state, JobState::kReady);
  EXPECT_EQ(record->attempts, 1);
  EXPECT_EQ(record->run_at_ms, clock_.NowMs() + 1'000);
  EXPECT_EQ(record->last_error, "provider timeout 1");

  clock_.AdvanceMs(999);
  EXPECT_EQ(queue.RunDue(), 0);  // not due before its delay
  clock_.AdvanceMs(1);
  EXPECT_EQ(queue.RunDue(), 1);
  record = LoadJob(connection(), id);
  EXPECT_EQ(record->attempts, 2);
  EXPECT_EQ(record->run_at_ms, clock_.NowMs() + 2'000);  // doubled

  clock_.AdvanceMs(1'999);
  EXPECT_EQ(queue.RunDue(), 0);
  clock_.AdvanceMs(1);
  EXPECT_EQ(queue.RunDue(), 1);
  record = LoadJob(connection(), id);
  EXPECT_EQ(record->state, JobState::kDone);
  EXPECT_EQ(record->attempts, 3);
  EXPECT_EQ(runs, 3);
  const JobCounters counters = queue.counters();
  EXPECT_EQ(counters.runs, 3);
  EXPECT_EQ(counters.failed, 2);
  EXPECT_EQ(counters.retried, 2);
  EXPECT_EQ(counters.succeeded, 1);
}

TEST_P(JobQueueTest, JitteredRetryLandsWithinTheJitterRange) {
  JobQueueOptions options = ExactOptions();
  options.backoff.jitter_fraction = 0.5;
  options.backoff.seed = 1234;
  JobQueue queue(database(), clock_, options);
  queue.Register("mail.send", [](const JobContext&) { return JobOutcome::Retry("again"); });
  std::vector<int64_t> ids;
  for (int i = 0; i < 20; ++i)
    ids.push_back(EnqueueCommitted(connection(), clock_, MakeJob("mail.send")));
  EXPECT_EQ(queue.RunDue(), 20);
  std::set<int64_t> delays;
  for (int64_t id : ids) {
    const int64_t delay = LoadJob(connection(), id)->run_at_ms - clock_.NowMs();
    EXPECT_GE(delay, 500);
    EXPECT_LE(delay, 1'500);
    delays.insert(delay);
  }
  EXPECT_GT(delays.size(), 1u);  // spread out, not all at once
}

TEST_P(JobQueueTest, ExplicitRetryDelayOverridesTheBackoff) {
  JobQueue queue(database(), clock_, ExactOptions());
  queue.Register("mail.send", [](const JobContext& context) {
    if (context.job.attempt == 1) return JobOutcome::Retry("rate limited", 45'000);
    return JobOutcome::Done();
  });
  const int64_t id = EnqueueCommitted(connection(), clock_, MakeJob("mail.send"));
  EXPECT_EQ(queue.RunDue(), 1);
  EXPECT_EQ(LoadJob(connection(), id)->run_at_ms, clock_.NowMs() + 45'000);
  clock_.AdvanceMs(44'999);
  EXPECT_EQ(queue.RunDue(), 0);
  clock_.AdvanceMs(1);
  EXPECT_EQ(queue.RunDue(), 1);
  EXPECT_EQ(LoadJob(connection(), id)->state, JobState::kDone);
}

TEST_P(JobQueueTest, DeadLettersAfterMaxAttemptsKeepingTheLastError) {
  JobQueue queue(database(), clock_, ExactOptions());
  int runs = 0;
  queue.Register("payout.submit", [&](const JobContext&) {
    ++runs;
    return JobOutcome::Retry("declined " + std::to_string(runs));
  });
  const int64_t id = EnqueueCommitted(connection(), clock_, MakeJob("payout.submit", "{}", 3));

  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(queue.RunDue(), 1);
    clock_.AdvanceMs(60'000);  // past any backoff
  }
  EXPECT_EQ(queue.RunDue(), 0);
  EXPECT_EQ(runs, 3);
  const auto record = LoadJob(connection(), id);
  EXPECT_EQ(record->state, JobState::kDead);
  EXPECT_EQ(record->attempts, 3);
  EXPECT_EQ(record->last_error, "declined 3");
  EXPECT_TRUE(record->finished_at_ms.has_value());
  EXPECT_EQ(queue.counters().dead_lettered, 1);
  EXPECT_EQ(queue.counters().retried, 2);
  EXPECT_EQ(queue.Stats().dead, 1);
}

TEST_P(JobQueueTest, PermanentFailureIsDeadAtOnce) {
  JobQueue queue(database(), clock_, ExactOptions());
  queue.Register("payout.submit",
                 [](const JobContext&) { return JobOutcome::Fail("invalid PIX key"); });
  const int64_t id = EnqueueCommitted(connection(), clock_, MakeJob("payout.submit"));
  EXPECT_EQ(queue.RunDue(), 1);
  const auto record = LoadJob(connection(), id);
  EXPECT_EQ(record->state, JobState::kDead);
  EXPECT_EQ(record->attempts, 1);
  EXPECT_EQ(record->last_error, "invalid PIX key");
  EXPECT_EQ(queue.counters().dead_lettered, 1);
}

TEST_P(JobQueueTest, HandlerThatThrowsIsRetried) {
  JobQueue queue(database(), clock_, ExactOptions());
  queue.Register("payout.submit", [](const JobContext& context) -> JobOutcome {
    if (context.job.attempt == 1) throw std::runtime_error("socket reset by peer");
    if (context.job.attempt == 2) throw 42;
    return JobOutcome::Done();
  });
  const int64_t id = EnqueueCommitted(connection(), clock_, MakeJob("payout.submit"));
  EXPECT_EQ(queue.RunDue(), 1);
  auto record = LoadJob(connection(), id);
  EXPECT_EQ(record->state, JobState::kReady);
  ASSERT_TRUE(record->last_error.has_value());
  EXPECT_NE(record->last_error->find("socket reset by peer"), std::string::npos);
  EXPECT_EQ(record->run_at_ms, clock_.NowMs() + 1'000);

  clock_.AdvanceMs(1'000);
  EXPECT_EQ(queue.RunDue(), 1);
  record = LoadJob(connection(), id);
  EXPECT_EQ(record->state, JobState::kReady);
  EXPECT_NE(record->last_error->find("non-standard exception"), std::string::npos);

  clock_.AdvanceMs(2'000);
  EXPECT_EQ(queue.RunDue(), 1);
  EXPECT_EQ(LoadJob(connection(), id)->state, JobState::kDone);
}

TEST_P(JobQueueTest, UnregisteredKindsWaitForAProcessThatKnowsThem) {
  JobQueue queue(database(), clock_, ExactOptions());
  queue.Register("mail.send", [](const JobContext&) { return JobOutcome::Done(); });
  const int64_t id = EnqueueCommitted(connection(), clock_, MakeJob("ledger.audit"));
  EXPECT_EQ(queue.RunDue(), 0);
  EXPECT_EQ(LoadJob(connection(), id)->state, JobState::kReady);

  JobQueue other(database(), clock_, ExactOptions());
  other.Register("ledger.audit", [](const JobContext&) { return JobOutcome::Done(); });
  EXPECT_EQ(other.RunDue(), 1);
  EXPECT_EQ(LoadJob(connection(), id)->state, JobState::kDone);
}

TEST_P(JobQueueTest, JobOfADeadWorkerRunsAgainAfterItsLease) {
  JobQueue queue(database(), clock_, ExactOptions());  // lease 30 s
  std::vector<int> attempts;
  queue.Register("payout.submit", [&](const JobContext& context) {
    attempts.push_back(context.job.attempt);
    return JobOutcome::Done();
  });
  const int64_t id = EnqueueCommitted(connection(), clock_, MakeJob("payout.submit"));

  // Another process claims the job and dies.
  const std::vector<std::string> kinds = {"payout.submit"};
  const ClaimResult dead = ClaimJobs(connection(), {.now_ms = clock_.NowMs(),
                                                    .lease_ms = 30'000,
                                                    .limit = 1,
                                                    .kinds = kinds,
                                                    .lease_token = "dead-process"});
  ASSERT_EQ(dead.jobs.size(), 1u);
  EXPECT_EQ(queue.RunDue(), 0);
  clock_.AdvanceMs(29'999);
  EXPECT_EQ(queue.RunDue(), 0);
  clock_.AdvanceMs(1);
  EXPECT_EQ(queue.RunDue(), 1);
  EXPECT_EQ(attempts, std::vector<int>{2});
  EXPECT_FALSE(CompleteJob(connection(), dead.jobs[0], clock_.NowMs()));
  const auto record = LoadJob(connection(), id);
  EXPECT_EQ(record->state, JobState::kDone);
  EXPECT_EQ(record->attempts, 2);
}

TEST_P(JobQueueTest, HandlerThatOutlivesItsLeaseLosesTheOutcome) {
  JobQueue slow(database(), clock_, ExactOptions());
  JobQueue fast(database(), clock_, ExactOptions());
  int fast_runs = 0;
  fast.Register("payout.submit", [&](const JobContext&) {
    ++fast_runs;
    return JobOutcome::Done();
  });
  slow.Register("payout.submit", [&](const JobContext&) {
    // The handler stalls past its lease; another process takes the job over meanwhile.
    clock_.AdvanceMs(30'000);
    EXPECT_EQ(fast.RunDue(), 1);
    return JobOutcome::Retry("too late");
  });
  const int64_t id = EnqueueCommitted(connection(), clock_, MakeJob("payout.submit"));
  EXPECT_EQ(slow.RunDue(), 1);
  EXPECT_EQ(fast_runs, 1);
  EXPECT_EQ(slow.counters().lost_leases, 1);
  EXPECT_EQ(slow.counters().retried, 0);
  const auto record = LoadJob(connection(), id);
  EXPECT_EQ(record->state, JobState::kDone);
  EXPECT_FALSE(record->last_error.has_value());
}

TEST_P(JobQueueTest, FailureToRecordTheOutcomeLeavesTheJobToItsLease) {
  JobQueueOptions options = ExactOptions();
  std::vector<std::string> reported;
  options.on_error = [&](std::string_view message) { reported.emplace_back(message); };
  JobQueue queue(database(), clock_, options);
  int runs = 0;
  queue.Register("payout.submit", [&](const JobContext&) {
    ++runs;
    return JobOutcome::Done();
  });
  const int64_t id = EnqueueCommitted(connection(), clock_, MakeJob("payout.submit"));

  // The database refuses to mark any job done, as a lost connection or full disk would.
  const bool postgres = backend() == store::Backend::kPostgres;
  connection().Execute(postgres ? "ALTER TABLE jobs ADD CONSTRAINT refuse_done CHECK (state <> 2)"
                                : "CREATE TRIGGER refuse_done BEFORE UPDATE OF state ON jobs "
                                  "WHEN NEW.state = 2 BEGIN SELECT RAISE(ABORT, 'refused'); END");
  EXPECT_EQ(queue.RunDue(), 1);  // the handler ran; the error did not escape
  EXPECT_EQ(queue.counters().store_errors, 1);
  ASSERT_EQ(reported.size(), 1u);
  EXPECT_NE(reported[0].find("job " + std::to_string(id)), std::string::npos);
  EXPECT_EQ(LoadJob(connection(), id)->state, JobState::kRunning);

  connection().Execute(postgres ? "ALTER TABLE jobs DROP CONSTRAINT refuse_done"
                                : "DROP TRIGGER refuse_done");
  EXPECT_EQ(queue.RunDue(), 0);  // still leased
  clock_.AdvanceMs(30'000);
  EXPECT_EQ(queue.RunDue(), 1);  // at least once: it runs again
  EXPECT_EQ(runs, 2);
  const auto record = LoadJob(connection(), id);
  EXPECT_EQ(record->state, JobState::kDone);
  EXPECT_EQ(record->attempts, 2);
}

// Several worker threads, each with its own connection, in two JobQueue instances (two
// "processes"): every job runs, none twice, as long as no lease expires.
TEST_P(JobQueueTest, WorkersInTwoProcessesDrainTheQueueOnceEach) {
  constexpr int kJobs = 300;
  SystemClock system_clock;
  std::mutex mutex;
  std::map<int64_t, int> runs_by_job;
  const auto handler = [&](const JobContext& context) {
    std::lock_guard lock(mutex);
    ++runs_by_job[context.job.id];
    return JobOutcome::Done();
  };
  JobQueueOptions options;
  options.lease_ms = 10 * 60'000;
  options.poll_interval_ms = 20;
  options.worker_count = 3;
  options.batch_size = 4;
  JobQueue first(database(), system_clock, options);
  JobQueue second(database(), system_clock, options);
  first.Register("mail.send", handler);
  second.Register("mail.send", handler);

  {
    store::Transaction tx(connection(), store::TransactionMode::kWrite);
    for (int i = 0; i < kJobs; ++i) {
      Enqueue(connection(), system_clock, MakeJob("mail.send", std::to_string(i)));
    }
    tx.Commit();
  }
  first.Start();
  second.Start();
  EXPECT_TRUE(WaitFor([&] {
    std::lock_guard lock(mutex);
    return runs_by_job.size() == kJobs;
  }));
  first.Stop();
  second.Stop();

  EXPECT_EQ(runs_by_job.size(), static_cast<size_t>(kJobs));
  for (const auto& [id, runs] : runs_by_job) EXPECT_EQ(runs, 1) << "job " << id;
  EXPECT_EQ(first.counters().runs + second.counters().runs, kJobs);
  EXPECT_EQ(first.counters().succeeded + second.counters().succeeded, kJobs);
  EXPECT_EQ(first.counters().lost_leases + second.counters().lost_leases, 0);
  const QueueStats stats = first.Stats();
  EXPECT_EQ(stats.done, kJobs);
  EXPECT_EQ(stats.ready + stats.running + stats.dead, 0);
}

TEST_P(JobQueueTest, StopWakesIdleWorkersPromptly) {
  SystemClock system_clock;
  JobQueueOptions options;
  options.poll_interval_ms = 10 * 60'000;  // idle workers would sleep for ten minutes
  options.worker_count = 4;
  JobQueue queue(database(), system_clock, options);
  queue.Register("mail.send", [](const JobContext&) { return JobOutcome::Done(); });
  queue.Start();
  const auto started = std::chrono::steady_clock::now();
  queue.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  queue.Stop();  // idempotent
}

TEST_P(JobQueueTest, EnqueueWakesSleepingWorkers) {
  SystemClock system_clock;
  JobQueueOptions options;
  options.poll_interval_ms = 10 * 60'000;
  options.worker_count = 2;
  JobQueue queue(database(), system_clock, options);
  std::atomic<int> runs{0};
  queue.Register("mail.send", [&](const JobContext&) {
    ++runs;
    return JobOutcome::Done();
  });
  queue.Start();
  for (int i = 0; i < 3; ++i) {
    queue.Enqueue(MakeJob("mail.send"));
    EXPECT_TRUE(WaitFor([&] { return runs.load() == i + 1; })) << "job " << i;
  }
  queue.Stop();
  EXPECT_EQ(queue.Stats().done, 3);
}

TEST_P(JobQueueTest, StopWaitsForTheHandlerInFlight) {
  SystemClock system_clock;
  JobQueueOptions options;
  options.poll_interval_ms = 10;
  JobQueue queue(database(), system_clock, options);
  std::atomic<bool> handler_started{false};
  std::atomic<bool> release{false};
  std::atomic<bool> handler_finished{false};
  queue.Register("payout.submit", [&](const JobContext&) {
    handler_started = true;
    WaitFor([&] { return release.load(); });
    handler_finished = true;
    return JobOutcome::Done();
  });
  const int64_t id = EnqueueCommitted(connection(), system_clock, MakeJob("payout.submit"));
  queue.Start();
  ASSERT_TRUE(WaitFor([&] { return handler_started.load(); }));

  std::atomic<bool> stop_called{false};
  std::atomic<bool> stop_returned{false};
  std::thread stopper([&] {
    stop_called = true;
    queue.Stop();
    stop_returned = true;
  });
  ASSERT_TRUE(WaitFor([&] { return stop_called.load(); }));
  EXPECT_FALSE(stop_returned.load());  // cannot return while the handler is blocked
  release = true;
  stopper.join();
  EXPECT_TRUE(handler_finished.load());
  EXPECT_EQ(LoadJob(connection(), id)->state, JobState::kDone);  // its outcome was recorded
}

// ---- heartbeat ------------------------------------------------------------------------------

// A handler running for ten leases, beating every third of a lease as the heartbeat thread would,
// while another process tries to claim after every beat: it never gets the job, nor the one
// waiting behind it in the same claimed batch.
TEST_P(JobQueueTest, HeartbeatKeepsALongJobFromBeingRunTwice) {
  JobQueueOptions options = ExactOptions();  // lease 30 s
  options.batch_size = 2;
  options.yield_after_ms = 10 * 60'000;
  JobQueue worker(database(), clock_, options);
  JobQueue other(database(), clock_, ExactOptions());
  int other_runs = 0;
  other.Register("ledger.audit", [&](const JobContext&) {
    ++other_runs;
    return JobOutcome::Done();
  });
  std::vector<int64_t> runs;
  worker.Register("ledger.audit", [&](const JobContext& context) {
    runs.push_back(context.job.id);
    if (runs.size() > 1) {
      EXPECT_TRUE(context.lease_held());  // the second job waited 100 s under beats
      return JobOutcome::Done();
    }
    for (int beat = 0; beat < 10; ++beat) {
      clock_.AdvanceMs(10'000);
      EXPECT_EQ(worker.Heartbeat(), 2);  // this job and the one waiting behind it
      EXPECT_EQ(other.RunDue(), 0);
      EXPECT_TRUE(context.lease_held());
      EXPECT_FALSE(context.ShouldYield());
    }
    return JobOutcome::Done();
  });
  const int64_t first = EnqueueCommitted(connection(), clock_, MakeJob("ledger.audit"));
  const int64_t second = EnqueueCommitted(connection(), clock_, MakeJob("ledger.audit"));

  EXPECT_EQ(worker.RunDue(), 2);
  EXPECT_EQ(runs, (std::vector<int64_t>{first, second}));
  EXPECT_EQ(other_runs, 0);
  for (const int64_t id : {first, second}) {
    const auto record = LoadJob(connection(), id);
    EXPECT_EQ(record->state, JobState::kDone);
    EXPECT_EQ(record->attempts, 1);
  }
  EXPECT_EQ(worker.counters().leases_extended, 20);
  EXPECT_EQ(worker.counters().lost_leases, 0);
  EXPECT_EQ(worker.Heartbeat(), 0);  // nothing held any more
}

// Without a beat the lease runs out by the clock, and the handler is told before anyone claims.
TEST_P(JobQueueTest, LeaseWithoutABeatRunsOutAndTheHandlerIsTold) {
  JobQueue worker(database(), clock_, ExactOptions());
  JobQueue other(database(), clock_, ExactOptions());
  other.Register("payout.submit", [](const JobContext&) { return JobOutcome::Done(); });
  worker.Register("payout.submit", [&](const JobContext& context) {
    clock_.AdvanceMs(29'999);
    EXPECT_TRUE(context.lease_held());
    clock_.AdvanceMs(1);
    EXPECT_FALSE(context.lease_held());
    EXPECT_TRUE(context.ShouldYield());
    EXPECT_EQ(other.RunDue(), 1);  // the job of a stalled worker is taken over
    EXPECT_EQ(worker.Heartbeat(), 0);
    EXPECT_FALSE(context.lease_held());
    return JobOutcome::Continue();
  });
  const int64_t id = EnqueueCommitted(connection(), clock_, MakeJob("payout.submit"));
  EXPECT_EQ(worker.RunDue(), 1);
  EXPECT_EQ(worker.counters().lost_leases, 1);  // its Continue changed nothing
  EXPECT_EQ(worker.counters().leases_lost_running, 1);
  EXPECT_EQ(LoadJob(connection(), id)->state, JobState::kDone);
}

// Another process whose clock runs ahead claims the job while, by our clock, the lease still has
// time left: the next beat finds the lease gone and the handler sees it.
TEST_P(JobQueueTest, BeatThatFindsTheLeaseTakenMarksItLost) {
  ManualClock ahead(clock_.NowNs() + 31'000'000'000);
  JobQueue worker(database(), clock_, ExactOptions());
  JobQueue other(database(), ahead, ExactOptions());
  int other_runs = 0;
  other.Register("payout.submit", [&](const JobContext&) {
    ++other_runs;
    return JobOutcome::Done();
  });
  worker.Register("payout.submit", [&](const JobContext& context) {
    EXPECT_TRUE(context.lease_held());
    EXPECT_EQ(other.RunDue(), 1);
    EXPECT_TRUE(context.lease_held());  // not known yet
    EXPECT_EQ(worker.Heartbeat(), 0);
    EXPECT_FALSE(context.lease_held());
    EXPECT_TRUE(context.ShouldYield());
    return JobOutcome::Retry("gave up: lease lost");
  });
  const int64_t id = EnqueueCommitted(connection(), clock_, MakeJob("payout.submit"));
  EXPECT_EQ(worker.RunDue(), 1);
  EXPECT_EQ(other_runs, 1);
  EXPECT_EQ(worker.counters().leases_lost_running, 1);
  EXPECT_EQ(worker.counters().lost_leases, 1);
  const auto record = LoadJob(connection(), id);
  EXPECT_EQ(record->state, JobState::kDone);
  EXPECT_FALSE(record->last_error.has_value());
}

// Real threads and a real clock: a lease of one second, a handler that runs for three, and another
// process polling for due jobs every 10 ms all along. The beats (every 100 ms) keep the job; the
// handler checks its lease as it goes. Only the beats' timeliness matters, with 900 ms of slack.
TEST_P(JobQueueTest, HeartbeatThreadKeepsALeaseWhileAnotherProcessKeepsClaiming) {
  SystemClock system_clock;
  JobQueueOptions options;
  options.lease_ms = 1'000;
  options.heartbeat_interval_ms = 100;
  options.poll_interval_ms = 10;
  JobQueue worker(database(), system_clock, options);
  JobQueue other(database(), system_clock, options);
  std::atomic<int> runs{0};
  std::atomic<bool> started{false};
  std::atomic<bool> lease_always_held{true};
  worker.Register("ledger.audit", [&](const JobContext& context) {
    ++runs;
    started = true;
    const auto until = std::chrono::steady_clock::now() + 3s;
    while (std::chrono::steady_clock::now() < until) {
      if (!context.lease_held()) lease_always_held = false;
      std::this_thread::sleep_for(20ms);
    }
    return JobOutcome::Done();
  });
  other.Register("ledger.audit", [&](const JobContext&) {
    ++runs;
    return JobOutcome::Done();
  });
  const int64_t id = EnqueueCommitted(connection(), system_clock, MakeJob("ledger.audit"));
  worker.Start();
  ASSERT_TRUE(WaitFor([&] { return started.load(); }));
  other.Start();
  ASSERT_TRUE(WaitFor([&] { return LoadJob(connection(), id)->state == JobState::kDone; }));
  other.Stop();
  worker.Stop();
  EXPECT_EQ(runs.load(), 1);
  EXPECT_TRUE(lease_always_held.load());
  EXPECT_EQ(other.counters().runs, 0);
  EXPECT_GE(worker.counters().leases_extended, 1);
  EXPECT_EQ(LoadJob(connection(), id)->attempts, 1);
}

// Stop asks a long handler to yield; its Continue puts the job back, ready for the next process.
TEST_P(JobQueueTest, StopAsksALongHandlerToYield) {
  SystemClock system_clock;
  JobQueueOptions options;
  options.poll_interval_ms = 10;
  options.yield_after_ms = 10 * 60'000;
  JobQueue queue(database(), system_clock, options);
  std::atomic<bool> started{false};
  std::atomic<int> batches{0};
  queue.Register("retention.purge", [&](const JobContext& context) {
    started = true;
    WaitFor([&] {
      ++batches;
      return context.ShouldYield();
    });
    return JobOutcome::Continue(R"({"cursor":7})");
  });
  const int64_t id = EnqueueCommitted(connection(), system_clock, MakeJob("retention.purge"));
  queue.Start();
  ASSERT_TRUE(WaitFor([&] { return started.load(); }));
  queue.Stop();
  const auto record = LoadJob(connection(), id);
  EXPECT_EQ(record->state, JobState::kReady);
  EXPECT_EQ(record->payload, R"({"cursor":7})");
  EXPECT_EQ(record->attempts, 0);
  EXPECT_EQ(queue.counters().continued, 1);
}

// ---- working in batches -----------------------------------------------------------------------

// A job with a backlog of eight batches, each taking 400 ms of a 1 s share: it yields every third
// batch, and the jobs that came due meanwhile run before it continues.
TEST_P(JobQueueTest, ContinuedJobGoesBehindTheJobsThatCameDue) {
  JobQueue queue(database(), clock_, ExactOptions());  // yield_after_ms 1 s
  std::vector<std::string> order;
  int backlog = 8;
  queue.Register("charges.expire", [&](const JobContext& context) {
    order.push_back("expire");
    return RunBatches(context, 100, [&] {
      clock_.AdvanceMs(400);
      --backlog;
      order.push_back("batch");
      // Meanwhile another process enqueues a mail.
      if (backlog == 4) EnqueueCommitted(connection(), clock_, MakeJob("mail.send", "c"));
      return backlog > 0 ? int64_t{100} : int64_t{40};
    });
  });
  queue.Register("mail.send", [&](const JobContext& context) {
    order.push_back("mail " + context.job.payload);
    clock_.AdvanceMs(10);
    return JobOutcome::Done();
  });
  const int64_t expire = EnqueueCommitted(connection(), clock_, MakeJob("charges.expire"));
  EnqueueCommitted(connection(), clock_, MakeJob("mail.send", "a"));
  clock_.AdvanceMs(1);
  EnqueueCommitted(connection(), clock_, MakeJob("mail.send", "b"));

  while (queue.RunOnce() > 0) {  // a worker's loop, on this thread
  }
  EXPECT_EQ(order, (std::vector<std::string>{"expire", "batch", "batch", "batch", "mail a",
                                             "mail b", "expire", "batch", "batch", "batch",
                                             "mail c", "expire", "batch", "batch"}));
  const auto record = LoadJob(connection(), expire);
  EXPECT_EQ(record->state, JobState::kDone);
  EXPECT_EQ(queue.counters().continued, 2);
  EXPECT_EQ(queue.counters().succeeded, 4);
}

TEST_P(JobQueueTest, ContinueRestoresTheRetryBudgetAndMayCarryACursor) {
  JobQueue queue(database(), clock_, ExactOptions());
  std::vector<std::string> payloads;
  queue.Register("events.export", [&](const JobContext& context) {
    payloads.push_back(context.job.payload);
    if (payloads.size() == 1) return JobOutcome::Retry("database busy");
    if (payloads.size() == 2) {
      EXPECT_EQ(context.job.attempt, 2);
      return JobOutcome::Continue(R"({"after":500})");
    }
    EXPECT_EQ(context.job.attempt, 1);  // the run after progress starts a fresh budget
    EXPECT_FALSE(context.job.last_error.has_value());
    return JobOutcome::Done();
  });
  const int64_t id =
      EnqueueCommitted(connection(), clock_, MakeJob("events.export", R"({"after":0})", 2));
  EXPECT_EQ(queue.RunDue(), 1);
  clock_.AdvanceMs(1'000);
  EXPECT_EQ(queue.RunDue(), 2);
  EXPECT_EQ(payloads,
            (std::vector<std::string>{R"({"after":0})", R"({"after":0})", R"({"after":500})"}));
  EXPECT_EQ(LoadJob(connection(), id)->state, JobState::kDone);
}

TEST_P(JobQueueTest, RunBatchesStopsAtAShortBatchOrAtItsLimit) {
  JobQueue queue(database(), clock_, ExactOptions());
  std::vector<int64_t> batch_sizes = {5, 5, 5, 2};
  size_t next = 0;
  int runs = 0;
  queue.Register("idempotency.purge", [&](const JobContext& context) {
    ++runs;
    return RunBatches(
        context, 5, [&] { return batch_sizes[next++]; }, /*batches_max=*/2);
  });
  const int64_t id = EnqueueCommitted(connection(), clock_, MakeJob("idempotency.purge"));
  EXPECT_EQ(queue.RunDue(), 2);  // two full batches, then the rest: a full one and a short one
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(next, 4u);
  EXPECT_EQ(LoadJob(connection(), id)->state, JobState::kDone);

  // A context built by hand (no queue) never has to yield and always holds its lease.
  const ClaimedJob job{};
  const JobContext context(job, connection());
  EXPECT_TRUE(context.lease_held());
  EXPECT_FALSE(context.ShouldYield());
  int64_t left = 12;
  const JobOutcome outcome = RunBatches(context, 5, [&] {
    const int64_t done = std::min<int64_t>(left, 5);
    left -= done;
    return done;
  });
  EXPECT_EQ(outcome.kind(), JobOutcome::Kind::kDone);
  EXPECT_EQ(left, 0);
}

INSTANTIATE_BACKENDS(JobQueueTest);

}  // namespace
}  // namespace cambista::jobs
