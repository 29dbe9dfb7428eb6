// Retention on both backends: which finished jobs go, bounded batches that continue as a job, a
// rule that blanks a column instead of deleting, and the metrics.
#include "jobs/retention.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "jobs/job_queue.hpp"
#include "jobs/job_table.hpp"
#include "jobs_fixture.hpp"
#include "obs/metrics.hpp"

namespace cambista::jobs {
namespace {

constexpr int64_t kDayMs = 86'400'000;

class RetentionTest : public JobsTest {
 protected:
  // A jobs row as a worker would have left it, created and (if finished) finished at_ms.
  int64_t InsertJob(std::string_view kind, JobState state, int64_t at_ms) {
    const bool finished = state == JobState::kDone || state == JobState::kDead;
    int64_t id = 0;
    connection().Query(
        "INSERT INTO jobs (kind, payload, state, attempts, max_attempts, run_at_ms, "
        "lease_until_ms, created_at_ms, finished_at_ms) VALUES ($1, '{}', $2, 1, 3, $3, $3, $3, "
        "$4) RETURNING id",
        {kind, static_cast<int64_t>(state), at_ms,
         finished ? store::Param(at_ms) : store::Param(store::Null{})},
        [&](const store::Row& row) { id = row.Int64(0); });
    return id;
  }

  std::vector<int64_t> JobIds() {
    std::vector<int64_t> ids;
    connection().Query("SELECT id FROM jobs ORDER BY id", {},
                       [&](const store::Row& row) { ids.push_back(row.Int64(0)); });
    return ids;
  }

  int64_t Count(std::string_view sql) {
    int64_t count = -1;
    connection().Query(sql, {}, [&](const store::Row& row) { count = row.Int64(0); });
    return count;
  }

  // A table standing for a module's raw inbound bodies: the body may go, the outcome stays.
  void CreateRawBodies() {
    connection().ExecuteScript(
        backend() == store::Backend::kPostgres
            ? "CREATE TABLE raw_bodies (id bigserial PRIMARY KEY, body bytea NOT NULL, "
              "outcome text NOT NULL, received_at_ms bigint NOT NULL)"
            : "CREATE TABLE raw_bodies (id INTEGER PRIMARY KEY AUTOINCREMENT, body BLOB NOT NULL, "
              "outcome TEXT NOT NULL, received_at_ms INTEGER NOT NULL)");
  }
  void InsertRawBody(std::string_view body, std::string_view outcome, int64_t at_ms) {
    connection().Execute(
        "INSERT INTO raw_bodies (body, outcome, received_at_ms) VALUES ($1, $2, $3)",
        {store::Blob{body}, outcome, at_ms});
  }
  // (body, outcome) of every row, in id order.
  std::vector<std::pair<std::string, std::string>> RawBodies() {
    std::vector<std::pair<std::string, std::string>> rows;
    connection().Query(
        "SELECT body, outcome FROM raw_bodies ORDER BY id", {},
        [&](const store::Row& row) { rows.emplace_back(row.Bytes(0), std::string(row.Text(1))); });
    return rows;
  }

  static PurgeRule RawBodiesRule() {
    PurgeRule rule;
    rule.table = "raw_bodies";
    rule.key_column = "id";
    rule.time_column = "received_at_ms";
    rule.condition = "outcome <> 'pending'";
    rule.action = PurgeAction::kBlankColumn;
    rule.blank_column = "body";
    return rule;
  }
};

TEST_P(RetentionTest, FinishedJobsOlderThanTheRetentionGoReadyAndRunningOnesStay) {
  const int64_t now_ms = clock_.NowMs();
  const int64_t cutoff_ms = now_ms - 30 * kDayMs;
  const int64_t done_old = InsertJob("mail.send", JobState::kDone, cutoff_ms - 1);
  const int64_t dead_old = InsertJob("mail.send", JobState::kDead, now_ms - 400 * kDayMs);
  const int64_t done_at_cutoff = InsertJob("mail.send", JobState::kDone, cutoff_ms);
  const int64_t done_recent = InsertJob("mail.send", JobState::kDone, now_ms - kDayMs);
  // Live jobs are never purged, however old: a job that waits or runs still has work to do.
  const int64_t ready_old = InsertJob("ledger.audit", JobState::kReady, now_ms - 90 * kDayMs);
  const int64_t running_old = InsertJob("ledger.audit", JobState::kRunning, now_ms - 90 * kDayMs);

  Retention retention(clock_);
  retention.AddRule(FinishedJobsRule());
  EXPECT_EQ(retention.CutoffMs(), cutoff_ms);
  JobQueue queue(database(), clock_);
  InstallRetention(queue, retention);
  EXPECT_EQ(queue.RunDue(), 1);  // the schedule's first occurrence is due now

  const std::vector<int64_t> left = JobIds();
  ASSERT_EQ(left.size(), 5u);  // the four kept and the retention job itself, done just now
  EXPECT_EQ(std::vector<int64_t>(left.begin(), left.begin() + 4),
            (std::vector<int64_t>{done_at_cutoff, done_recent, ready_old, running_old}));
  EXPECT_EQ(LoadJob(connection(), left[4])->kind, kRetentionJobKind);
  EXPECT_EQ(LoadJob(connection(), left[4])->state, JobState::kDone);
  EXPECT_FALSE(LoadJob(connection(), done_old).has_value());
  EXPECT_FALSE(LoadJob(connection(), dead_old).has_value());
}

TEST_P(RetentionTest, RetentionDaysAreConfigurable) {
  const int64_t now_ms = clock_.NowMs();
  InsertJob("mail.send", JobState::kDone, now_ms - 2 * kDayMs);
  const int64_t recent = InsertJob("mail.send", JobState::kDone, now_ms - kDayMs + 1);
  RetentionOptions options;
  options.days = 1;
  Retention retention(clock_, options);
  retention.AddRule(FinishedJobsRule());
  EXPECT_EQ(retention.PurgeBatch(connection(), 0, retention.CutoffMs()), 1);
  EXPECT_EQ(JobIds(), std::vector<int64_t>{recent});
}

// Each statement purges at most batch_rows; a run takes at most batches_per_run_max of them and
// then continues as a job, after whatever else came due.
TEST_P(RetentionTest, PurgesInBoundedBatchesAndContinues) {
  const int64_t old_ms = clock_.NowMs() - 31 * kDayMs;
  for (int i = 0; i < 10; ++i) InsertJob("mail.send", JobState::kDone, old_ms);
  RetentionOptions options;
  options.batch_rows = 3;
  options.batches_per_run_max = 2;
  Retention retention(clock_, options);
  retention.AddRule(FinishedJobsRule());
  obs::MetricsRegistry metrics;
  ASSERT_TRUE(retention.RegisterMetrics(metrics, database()).ok());

  EXPECT_EQ(retention.PurgeBatch(connection(), 0, retention.CutoffMs()), 3);  // one statement
  EXPECT_EQ(Count("SELECT count(*) FROM jobs"), 7);

  JobQueue queue(database(), clock_);
  InstallRetention(queue, retention);
  EXPECT_EQ(queue.RunOnce(), 1);  // two batches of 3, then it continues
  EXPECT_EQ(Count("SELECT count(*) FROM jobs WHERE state = 2 AND kind = 'mail.send'"), 1);
  const auto job = LoadJob(connection(), JobIds().back());
  EXPECT_EQ(job->state, JobState::kReady);
  EXPECT_EQ(queue.counters().continued, 1);
  EXPECT_EQ(queue.RunDue(), 1);                      // the last row and a short batch: done
  EXPECT_EQ(Count("SELECT count(*) FROM jobs"), 1);  // the retention job
  EXPECT_EQ(LoadJob(connection(), job->id)->state, JobState::kDone);
  EXPECT_NE(metrics.RenderPrometheusText().find(
                "cambista_retention_purged_rows_total{table=\"jobs\"} 10\n"),
            std::string::npos);
}

// A rule may blank a column instead of deleting the row: the raw body goes, the outcome stays for
// the audit, and a blanked row is not purged again.
TEST_P(RetentionTest, BlankingRuleEmptiesTheColumnAndKeepsTheRow) {
  CreateRawBodies();
  const int64_t now_ms = clock_.NowMs();
  const std::string binary("\x00\x01\xff{}", 5);
  InsertRawBody(binary, "paid", now_ms - 40 * kDayMs);
  InsertRawBody("{\"old\":true}", "ignored", now_ms - 31 * kDayMs);
  InsertRawBody("{\"waiting\":1}", "pending", now_ms - 31 * kDayMs);  // the condition keeps it
  InsertRawBody("{\"new\":true}", "paid", now_ms - 29 * kDayMs);
  InsertRawBody("{\"third\":1}", "failed", now_ms - 35 * kDayMs);

  RetentionOptions options;
  options.batch_rows = 2;
  Retention retention(clock_, options);
  retention.AddRule(RawBodiesRule());
  const int64_t cutoff_ms = retention.CutoffMs();
  EXPECT_EQ(retention.PurgeBatch(connection(), 0, cutoff_ms), 2);
  EXPECT_EQ(retention.PurgeBatch(connection(), 0, cutoff_ms), 1);
  EXPECT_EQ(retention.PurgeBatch(connection(), 0, cutoff_ms), 0);  // blanked rows stay blank
  EXPECT_EQ(RawBodies(),
            (std::vector<std::pair<std::string, std::string>>{{"", "paid"},
                                                              {"", "ignored"},
                                                              {"{\"waiting\":1}", "pending"},
                                                              {"{\"new\":true}", "paid"},
                                                              {"", "failed"}}));
  // The blank is an empty value of the column's own type, not NULL and not text.
  EXPECT_EQ(Count("SELECT count(*) FROM raw_bodies WHERE length(body) = 0"), 3);
  if (backend() == store::Backend::kSqlite) {
    EXPECT_EQ(Count("SELECT count(*) FROM raw_bodies WHERE typeof(body) = 'blob'"), 5);
  }
}

TEST_P(RetentionTest, MetricsCountTheRowsOfEveryTableUnderRetention) {
  CreateRawBodies();
  const int64_t now_ms = clock_.NowMs();
  InsertJob("mail.send", JobState::kDone, now_ms - 31 * kDayMs);
  InsertJob("mail.send", JobState::kReady, now_ms);
  InsertRawBody("{}", "paid", now_ms - 31 * kDayMs);
  Retention retention(clock_);
  retention.AddRule(FinishedJobsRule());
  retention.AddRule(RawBodiesRule());
  PurgeRule second_jobs_rule = FinishedJobsRule();  // a table named twice is counted once
  second_jobs_rule.condition = "state = 3";
  retention.AddRule(second_jobs_rule);
  obs::MetricsRegistry metrics;
  ASSERT_TRUE(retention.RegisterMetrics(metrics, database()).ok());

  const std::string before = metrics.RenderPrometheusText();
  EXPECT_NE(before.find("# TYPE cambista_table_rows gauge\n"
                        "cambista_table_rows{table=\"jobs\"} 2\n"
                        "cambista_table_rows{table=\"raw_bodies\"} 1\n"),
            std::string::npos)
      << before;
  EXPECT_NE(before.find("cambista_retention_purged_rows_total{table=\"jobs\"} 0\n"
                        "cambista_retention_purged_rows_total{table=\"raw_bodies\"} 0\n"),
            std::string::npos)
      << before;

  const ClaimedJob job{};
  const JobContext context(job, connection());  // no queue: never yields
  EXPECT_EQ(retention.Run(context).kind(), JobOutcome::Kind::kDone);
  const std::string after = metrics.RenderPrometheusText();
  EXPECT_NE(after.find("cambista_table_rows{table=\"jobs\"} 1\n"), std::string::npos) << after;
  EXPECT_NE(after.find("cambista_table_rows{table=\"raw_bodies\"} 1\n"), std::string::npos);
  EXPECT_NE(after.find("cambista_retention_purged_rows_total{table=\"jobs\"} 1\n"),
            std::string::npos);
  EXPECT_NE(after.find("cambista_retention_purged_rows_total{table=\"raw_bodies\"} 1\n"),
            std::string::npos);
}

INSTANTIATE_BACKENDS(RetentionTest);

}  // namespace
}  // namespace cambista::jobs
