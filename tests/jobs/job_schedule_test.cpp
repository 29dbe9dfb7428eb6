// Periodic schedules on both backends: one job per occurrence, however many processes tick.
#include "jobs/job_schedule.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

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

INSTANTIATE_BACKENDS(JobScheduleTest);

}  // namespace
}  // namespace cambista::jobs
