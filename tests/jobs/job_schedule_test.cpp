// Periodic schedules on both backends: one job per occurrence, however many processes tick.
#include "jobs/job_schedule.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "jobs/job_queue.hpp"
#include "jobs/job_table.hpp"
#include "jobs_fixture.hpp"

namespace cambista::jobs {
namespace {

using JobScheduleTest = JobsTest;

constexpr int64_t kMinuteMs = 60'000;

JobSchedule Sweep(int64_t interval_ms = kMinuteMs) {
  JobSchedule schedule;
  schedule.name = "treasury.sweep";
  schedule.kind = "treasury.sweep";
  schedule.payload = R"({"provider":"pix"})";
  schedule.interval_ms = interval_ms;
  schedule.max_attempts = 2;
  // These tests count the jobs of occurrences that nothing runs; without overlap the later ones
  // would be skipped while the first is still ready (see ScheduleWaitsForItsPreviousJob).
  schedule.overlap = true;
  return schedule;
}

int64_t NextRunAt(store::Connection& connection, std::string_view name) {
  int64_t next_run_at_ms = 0;
  EXPECT_TRUE(LoadSchedule(connection, name, &next_run_at_ms).has_value());
  return next_run_at_ms;
}

TEST_P(JobScheduleTest, EnqueuesOncePerIntervalFromTwoQueues) {
  JobQueue first(database(), clock_);
  JobQueue second(database(), clock_);
  const int64_t start_ms = clock_.NowMs();
  // Every node declares the schedule at start-up; the second declaration changes nothing.
  first.AddSchedule(Sweep());
  clock_.AdvanceMs(10);
  second.AddSchedule(Sweep());
  EXPECT_EQ(NextRunAt(connection(), "treasury.sweep"), start_ms);

  EXPECT_EQ(first.TickSchedules(), 1);
  EXPECT_EQ(second.TickSchedules(), 0);
  EXPECT_EQ(first.TickSchedules(), 0);
  EXPECT_EQ(NextRunAt(connection(), "treasury.sweep"), start_ms + kMinuteMs);

  clock_.SetNs((start_ms + kMinuteMs - 1) * 1'000'000);
  EXPECT_EQ(second.TickSchedules(), 0);
  clock_.AdvanceMs(1);
  EXPECT_EQ(second.TickSchedules(), 1);
  EXPECT_EQ(first.TickSchedules(), 0);

  const QueueStats stats = LoadQueueStats(connection());
  EXPECT_EQ(stats.ready, 2);
  // The jobs carry the schedule's kind, payload and attempts, keyed by their occurrence.
  std::vector<std::string> keys;
  connection().Query("SELECT dedupe_key, kind, payload, max_attempts FROM jobs ORDER BY id", {},
                     [&](const store::Row& row) {
                       keys.emplace_back(row.Text(0));
                       EXPECT_EQ(row.Text(1), "treasury.sweep");
                       EXPECT_EQ(row.Text(2), R"({"provider":"pix"})");
                       EXPECT_EQ(row.Int64(3), 2);
                     });
  EXPECT_EQ(keys,
            (std::vector<std::string>{ScheduleDedupeKey("treasury.sweep", start_ms),
                                      ScheduleDedupeKey("treasury.sweep", start_ms + kMinuteMs)}));
}

TEST_P(JobScheduleTest, RunOnceTicksAndRunsTheScheduledJob) {
  JobQueue queue(database(), clock_);
  int sweeps = 0;
  queue.Register("treasury.sweep", [&](const JobContext&) {
    ++sweeps;
    return JobOutcome::Done();
  });
  queue.AddSchedule(Sweep());
  EXPECT_EQ(queue.RunOnce(), 1);
  EXPECT_EQ(queue.RunOnce(), 0);
  clock_.AdvanceMs(kMinuteMs);
  EXPECT_EQ(queue.RunDue(), 1);
  EXPECT_EQ(sweeps, 2);
}

TEST_P(JobScheduleTest, MissedOccurrencesAreCoalesced) {
  JobQueue queue(database(), clock_);
  const int64_t start_ms = clock_.NowMs();
  queue.AddSchedule(Sweep());
  EXPECT_EQ(queue.TickSchedules(), 1);
  clock_.AdvanceMs(5 * kMinuteMs + 30'000);  // every node was down for five occurrences
  EXPECT_EQ(queue.TickSchedules(), 1);
  EXPECT_EQ(queue.TickSchedules(), 0);
  EXPECT_EQ(NextRunAt(connection(), "treasury.sweep"), start_ms + 6 * kMinuteMs);
  EXPECT_EQ(LoadQueueStats(connection()).ready, 2);
}

TEST_P(JobScheduleTest, FirstRunAndIntervalChanges) {
  JobQueue queue(database(), clock_);
  const int64_t start_ms = clock_.NowMs();
  JobSchedule nightly = Sweep(24 * 60 * kMinuteMs);
  nightly.first_run_at_ms = start_ms + 3 * 60 * kMinuteMs;
  queue.AddSchedule(nightly);
  EXPECT_EQ(queue.TickSchedules(), 0);
  EXPECT_EQ(NextRunAt(connection(), "treasury.sweep"), start_ms + 3 * 60 * kMinuteMs);

  // A shorter interval whose first occurrence comes sooner takes effect at once ...
  queue.AddSchedule(Sweep(kMinuteMs));
  EXPECT_EQ(NextRunAt(connection(), "treasury.sweep"), start_ms);
  EXPECT_EQ(queue.TickSchedules(), 1);
  // ... while the same interval keeps the next run time.
  JobSchedule same = Sweep(kMinuteMs);
  same.first_run_at_ms = start_ms;
  queue.AddSchedule(same);
  EXPECT_EQ(NextRunAt(connection(), "treasury.sweep"), start_ms + kMinuteMs);

  EXPECT_TRUE(queue.RemoveSchedule("treasury.sweep"));
  EXPECT_FALSE(queue.RemoveSchedule("treasury.sweep"));
  clock_.AdvanceMs(kMinuteMs);
  EXPECT_EQ(queue.TickSchedules(), 0);
  EXPECT_EQ(LoadQueueStats(connection()).ready, 1);  // its job stays
}

// Two "processes" ticking at the same moment, round after round: one job per occurrence.
TEST_P(JobScheduleTest, ConcurrentTickersEnqueueEachOccurrenceOnce) {
  constexpr int kRounds = 15;
  JobQueue first(database(), clock_);
  JobQueue second(database(), clock_);
  JobSchedule fast = Sweep(1'000);
  first.AddSchedule(fast);
  fast.name = "fx.refresh";
  fast.kind = "fx.refresh";
  second.AddSchedule(fast);

  int created = 0;
  for (int round = 0; round < kRounds; ++round) {
    std::atomic<int> ready{0};
    std::atomic<int> round_created{0};
    const auto tick = [&](JobQueue& queue) {
      ++ready;
      while (ready.load() < 2) {
      }  // start together
      round_created += queue.TickSchedules();
    };
    std::thread a([&] { tick(first); });
    std::thread b([&] { tick(second); });
    a.join();
    b.join();
    EXPECT_EQ(round_created.load(), 2) << "round " << round;  // one per schedule
    created += round_created.load();
    clock_.AdvanceMs(1'000);
  }
  EXPECT_EQ(created, 2 * kRounds);
  EXPECT_EQ(LoadQueueStats(connection()).ready, 2 * kRounds);
}

// By default a schedule enqueues no occurrence while the job of its previous one is still ready or
// running: a periodic job working through a backlog in batches never runs as two copies.
TEST_P(JobScheduleTest, ScheduleWaitsForItsPreviousJob) {
  JobQueue queue(database(), clock_);
  JobSchedule sweep = Sweep();
  sweep.overlap = false;
  queue.AddSchedule(sweep);
  EXPECT_FALSE(LoadSchedule(connection(), "treasury.sweep")->overlap);
  EXPECT_EQ(queue.TickSchedules(), 1);
  clock_.AdvanceMs(kMinuteMs);
  EXPECT_EQ(queue.TickSchedules(), 0);  // the first job has not run yet
  clock_.AdvanceMs(kMinuteMs);
  EXPECT_EQ(queue.TickSchedules(), 0);
  EXPECT_EQ(LoadQueueStats(connection()).ready, 1);

  int sweeps = 0;
  queue.Register("treasury.sweep", [&](const JobContext&) {
    ++sweeps;
    return JobOutcome::Done();
  });
  EXPECT_EQ(queue.RunDue(), 1);
  clock_.AdvanceMs(kMinuteMs);
  EXPECT_EQ(queue.TickSchedules(), 1);  // finished: the next occurrence runs
  EXPECT_EQ(queue.RunDue(), 1);
  EXPECT_EQ(sweeps, 2);

  // Retention may purge the finished job the schedule remembers; the schedule goes on.
  connection().Execute("DELETE FROM jobs");
  clock_.AdvanceMs(kMinuteMs);
  EXPECT_EQ(queue.TickSchedules(), 1);
}

// A periodic job with a backlog of five batches, run by one worker: each run takes its share
// (two batches of 500 ms in a 1 s share) and continues; the mails another process enqueues
// meanwhile run in between; and the schedule, due every second, adds no second copy of it.
TEST_P(JobScheduleTest, BatchedPeriodicWorkInterleavesWithOtherJobs) {
  JobQueueOptions options;
  options.yield_after_ms = 1'000;
  JobQueue queue(database(), clock_, options);
  std::vector<std::string> order;
  int batches_left = 5;
  queue.Register("charges.expire", [&](const JobContext& context) {
    order.push_back("expire");
    return RunBatches(context, 10, [&] {
      clock_.AdvanceMs(250);
      store::Transaction tx(connection(), store::TransactionMode::kWrite);
      NewJob mail;
      mail.kind = "mail.send";
      mail.payload = "{}";
      Enqueue(connection(), clock_, mail);
      tx.Commit();
      clock_.AdvanceMs(250);
      --batches_left;
      return batches_left > 0 ? int64_t{10} : int64_t{3};
    });
  });
  queue.Register("mail.send", [&](const JobContext&) {
    order.push_back("mail");
    return JobOutcome::Done();
  });
  JobSchedule expire;
  expire.name = "charges-expire";
  expire.kind = "charges.expire";
  expire.payload = "{}";
  expire.interval_ms = 1'000;
  queue.AddSchedule(expire);

  while (queue.RunOnce() > 0) {  // a worker's loop on this thread; RunOnce ticks first
  }
  EXPECT_EQ(order, (std::vector<std::string>{"expire", "mail", "mail", "expire", "mail", "mail",
                                             "expire", "mail"}));
  EXPECT_EQ(batches_left, 0);
  int64_t expire_jobs = 0;
  connection().Query("SELECT count(*) FROM jobs WHERE kind = 'charges.expire'", {},
                     [&](const store::Row& row) { expire_jobs = row.Int64(0); });
  EXPECT_EQ(expire_jobs, 1);
  EXPECT_EQ(queue.counters().continued, 2);
}

INSTANTIATE_BACKENDS(JobScheduleTest);

}  // namespace
}  // namespace cambista::jobs
