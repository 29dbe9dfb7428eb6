// The jobs table on both backends: the outbox, dedupe keys, leases and their expiry.
#include "jobs/job_table.hpp"

#include <gtest/gtest.h>

#include <string>

#include "jobs_fixture.hpp"

namespace cambista::jobs {
namespace {

using JobTableTest = JobsTest;

NewJob MakeJob(std::string kind, std::string payload = "{}") {
  NewJob job;
  job.kind = std::move(kind);
  job.payload = std::move(payload);
  return job;
}

ClaimResult Claim(store::Connection& connection, int64_t now_ms, std::string_view token,
                  int limit = 10, int64_t lease_ms = 30'000) {
  static const std::vector<std::string> kKinds = {"mail.send", "payout.submit"};
  ClaimRequest request;
  request.now_ms = now_ms;
  request.lease_ms = lease_ms;
  request.limit = limit;
  request.kinds = kKinds;
  request.lease_token = token;
  return ClaimJobs(connection, request);
}

TEST_P(JobTableTest, EnqueueStoresAReadyJob) {
  NewJob job = MakeJob("mail.send", R"({"to":"ana"})");
  job.max_attempts = 4;
  job.delay_ms = 1'500;
  store::Transaction tx(connection(), store::TransactionMode::kWrite);
  const EnqueueResult enqueued = Enqueue(connection(), clock_, job);
  tx.Commit();
  EXPECT_TRUE(enqueued.created);

  const auto record = LoadJob(connection(), enqueued.id);
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->kind, "mail.send");
  EXPECT_EQ(record->payload, R"({"to":"ana"})");
  EXPECT_FALSE(record->dedupe_key.has_value());
  EXPECT_EQ(record->state, JobState::kReady);
  EXPECT_EQ(record->attempts, 0);
  EXPECT_EQ(record->max_attempts, 4);
  EXPECT_EQ(record->run_at_ms, clock_.NowMs() + 1'500);
  EXPECT_EQ(record->created_at_ms, clock_.NowMs());
  EXPECT_FALSE(record->finished_at_ms.has_value());
  EXPECT_FALSE(record->last_error.has_value());
  EXPECT_FALSE(LoadJob(connection(), enqueued.id + 1000).has_value());
}

TEST_P(JobTableTest, OutboxJobRollsBackWithItsTransaction) {
  {
    store::Transaction tx(connection(), store::TransactionMode::kWrite);
    Enqueue(connection(), clock_, MakeJob("mail.send"));
  }  // no Commit: rolled back
  EXPECT_EQ(LoadQueueStats(connection()).ready, 0);
  EXPECT_TRUE(Claim(connection(), clock_.NowMs(), "t1").jobs.empty());

  int64_t id = 0;
  {
    store::Transaction tx(connection(), store::TransactionMode::kWrite);
    id = Enqueue(connection(), clock_, MakeJob("mail.send")).id;
    tx.Commit();
  }
  EXPECT_EQ(LoadQueueStats(connection()).ready, 1);
  const ClaimResult claim = Claim(connection(), clock_.NowMs(), "t2");
  ASSERT_EQ(claim.jobs.size(), 1u);
  EXPECT_EQ(claim.jobs[0].id, id);
}

TEST_P(JobTableTest, DedupeKeyReturnsTheExistingJob) {
  NewJob job = MakeJob("payout.submit", R"({"payout":1})");
  job.dedupe_key = "payout:1";
  store::Transaction tx(connection(), store::TransactionMode::kWrite);
  const EnqueueResult first = Enqueue(connection(), clock_, job);
  job.payload = R"({"payout":"other"})";
  const EnqueueResult second = Enqueue(connection(), clock_, job);
  tx.Commit();
  EXPECT_TRUE(first.created);
  EXPECT_FALSE(second.created);
  EXPECT_EQ(second.id, first.id);
  EXPECT_EQ(LoadJob(connection(), first.id)->payload, R"({"payout":1})");
  EXPECT_EQ(LoadQueueStats(connection()).ready, 1);

  // Still taken once the job is done.
  const ClaimResult claim = Claim(connection(), clock_.NowMs(), "t");
  ASSERT_EQ(claim.jobs.size(), 1u);
  ASSERT_TRUE(CompleteJob(connection(), claim.jobs[0], clock_.NowMs()));
  store::Transaction again(connection(), store::TransactionMode::kWrite);
  const EnqueueResult third = Enqueue(connection(), clock_, job);
  again.Commit();
  EXPECT_FALSE(third.created);
  EXPECT_EQ(third.id, first.id);

  // Jobs without a key never collide.
  store::Transaction keyless(connection(), store::TransactionMode::kWrite);
  EXPECT_TRUE(Enqueue(connection(), clock_, MakeJob("mail.send")).created);
  EXPECT_TRUE(Enqueue(connection(), clock_, MakeJob("mail.send")).created);
  keyless.Commit();
  EXPECT_EQ(LoadQueueStats(connection()).ready, 2);
}

TEST_P(JobTableTest, ClaimTakesDueJobsOfKnownKindsInRunOrder) {
  store::Transaction tx(connection(), store::TransactionMode::kWrite);
  NewJob later = MakeJob("mail.send", "later");
  later.delay_ms = 10'000;
  const int64_t later_id = Enqueue(connection(), clock_, later).id;
  NewJob earlier = MakeJob("mail.send", "earlier");
  earlier.run_at_ms = clock_.NowMs() - 5'000;
  const int64_t earlier_id = Enqueue(connection(), clock_, earlier).id;
  const int64_t now_id = Enqueue(connection(), clock_, MakeJob("payout.submit", "now")).id;
  Enqueue(connection(), clock_, MakeJob("unknown.kind"));
  tx.Commit();

  ClaimResult claim = Claim(connection(), clock_.NowMs(), "t1", /*limit=*/1);
  ASSERT_EQ(claim.jobs.size(), 1u);
  EXPECT_EQ(claim.jobs[0].id, earlier_id);  // oldest run_at first
  EXPECT_EQ(claim.jobs[0].attempt, 1);
  EXPECT_EQ(claim.jobs[0].lease_until_ms, clock_.NowMs() + 30'000);
  EXPECT_EQ(claim.jobs[0].lease_token, "t1");

  claim = Claim(connection(), clock_.NowMs(), "t2");
  ASSERT_EQ(claim.jobs.size(), 1u);  // `later` is not due; `unknown.kind` has no handler here
  EXPECT_EQ(claim.jobs[0].id, now_id);
  EXPECT_EQ(claim.jobs[0].payload, "now");

  clock_.AdvanceMs(10'000);
  claim = Claim(connection(), clock_.NowMs(), "t3");
  ASSERT_EQ(claim.jobs.size(), 1u);
  EXPECT_EQ(claim.jobs[0].id, later_id);

  const QueueStats stats = LoadQueueStats(connection());
  EXPECT_EQ(stats.running, 3);
  EXPECT_EQ(stats.ready, 1);
}

TEST_P(JobTableTest, ExpiredLeaseIsClaimedAgainAndTheStaleWorkerChangesNothing) {
  store::Transaction tx(connection(), store::TransactionMode::kWrite);
  const int64_t id = Enqueue(connection(), clock_, MakeJob("payout.submit")).id;
  tx.Commit();

  // Worker A claims the job, then dies without finishing it.
  const ClaimResult a = Claim(connection(), clock_.NowMs(), "worker-a", 10, /*lease_ms=*/30'000);
  ASSERT_EQ(a.jobs.size(), 1u);
  clock_.AdvanceMs(29'999);
  EXPECT_TRUE(Claim(connection(), clock_.NowMs(), "worker-b").jobs.empty());  // still leased

  clock_.AdvanceMs(1);
  const ClaimResult b = Claim(connection(), clock_.NowMs(), "worker-b");
  ASSERT_EQ(b.jobs.size(), 1u);
  EXPECT_EQ(b.jobs[0].id, id);
  EXPECT_EQ(b.jobs[0].attempt, 2);  // the dead worker's run counts

  // A wakes up: whatever it reports changes nothing.
  EXPECT_FALSE(CompleteJob(connection(), a.jobs[0], clock_.NowMs()));
  EXPECT_FALSE(RescheduleJob(connection(), a.jobs[0], clock_.NowMs(), "late"));
  EXPECT_FALSE(BuryJob(connection(), a.jobs[0], clock_.NowMs(), "late"));
  auto record = LoadJob(connection(), id);
  EXPECT_EQ(record->state, JobState::kRunning);
  EXPECT_FALSE(record->last_error.has_value());

  EXPECT_TRUE(CompleteJob(connection(), b.jobs[0], clock_.NowMs()));
  EXPECT_FALSE(CompleteJob(connection(), b.jobs[0], clock_.NowMs()));  // once only
  record = LoadJob(connection(), id);
  EXPECT_EQ(record->state, JobState::kDone);
  EXPECT_EQ(record->attempts, 2);
  EXPECT_EQ(record->finished_at_ms, clock_.NowMs());
}

TEST_P(JobTableTest, ExpiredLeaseOnTheLastAttemptIsDeadLettered) {
  NewJob job = MakeJob("payout.submit");
  job.max_attempts = 1;
  store::Transaction tx(connection(), store::TransactionMode::kWrite);
  const int64_t id = Enqueue(connection(), clock_, job).id;
  tx.Commit();
  ASSERT_EQ(Claim(connection(), clock_.NowMs(), "doomed").jobs.size(), 1u);

  clock_.AdvanceMs(30'000);
  const ClaimResult claim = Claim(connection(), clock_.NowMs(), "next");
  EXPECT_TRUE(claim.jobs.empty());
  EXPECT_EQ(claim.dead_lettered, 1);
  const auto record = LoadJob(connection(), id);
  EXPECT_EQ(record->state, JobState::kDead);
  EXPECT_EQ(record->attempts, 1);
  ASSERT_TRUE(record->last_error.has_value());
  EXPECT_NE(record->last_error->find("lease expired"), std::string::npos);
  EXPECT_EQ(record->finished_at_ms, clock_.NowMs());
}

TEST_P(JobTableTest, RescheduleAndReleaseMakeTheJobReadyAgain) {
  store::Transaction tx(connection(), store::TransactionMode::kWrite);
  const int64_t id = Enqueue(connection(), clock_, MakeJob("mail.send")).id;
  tx.Commit();

  ClaimResult claim = Claim(connection(), clock_.NowMs(), "t1");
  ASSERT_TRUE(ReleaseJob(connection(), claim.jobs.at(0)));
  auto record = LoadJob(connection(), id);
  EXPECT_EQ(record->state, JobState::kReady);
  EXPECT_EQ(record->attempts, 0);  // a released claim is not an attempt

  claim = Claim(connection(), clock_.NowMs(), "t2");
  ASSERT_TRUE(RescheduleJob(connection(), claim.jobs.at(0), clock_.NowMs() + 500, "smtp down"));
  record = LoadJob(connection(), id);
  EXPECT_EQ(record->state, JobState::kReady);
  EXPECT_EQ(record->attempts, 1);
  EXPECT_EQ(record->run_at_ms, clock_.NowMs() + 500);
  EXPECT_EQ(record->last_error, "smtp down");
  EXPECT_TRUE(Claim(connection(), clock_.NowMs() + 499, "t3").jobs.empty());
  claim = Claim(connection(), clock_.NowMs() + 500, "t3");
  ASSERT_EQ(claim.jobs.size(), 1u);
  EXPECT_EQ(claim.jobs[0].last_error, "smtp down");
}

TEST_P(JobTableTest, ErrorTextIsStoredAsValidUtf8) {
  store::Transaction tx(connection(), store::TransactionMode::kWrite);
  const int64_t id = Enqueue(connection(), clock_, MakeJob("mail.send")).id;
  tx.Commit();
  const ClaimResult claim = Claim(connection(), clock_.NowMs(), "t");
  const std::string raw = std::string(
                              "ma\xC3\xB1"
                              "ana \xFF\xFE bad") +
                          '\0' + "end";
  ASSERT_TRUE(BuryJob(connection(), claim.jobs.at(0), clock_.NowMs(), raw));
  EXPECT_EQ(LoadJob(connection(), id)->last_error,
            "ma\xC3\xB1"
            "ana ?? bad?end");
}

TEST(SanitizeJobErrorTest, CutsLongTextOnACharacterBoundary) {
  std::string text = "x";
  for (int i = 0; i < 2'000; ++i) text += "\xE2\x82\xAC";  // euro sign, 3 bytes
  const std::string clean = SanitizeJobError(text);
  EXPECT_LE(clean.size(), kJobErrorBytesMax);
  EXPECT_EQ(clean.size(), 1 + 3 * ((kJobErrorBytesMax - 1) / 3));
  EXPECT_EQ(SanitizeJobError("\xED\xA0\x80"), "???");  // a UTF-16 surrogate is not UTF-8
  EXPECT_EQ(SanitizeJobError("\xC0\xAF"), "??");       // overlong
  EXPECT_EQ(SanitizeJobError("ok \xF0\x9F\x92\xB8"), "ok \xF0\x9F\x92\xB8");
}

INSTANTIATE_BACKENDS(JobTableTest);

}  // namespace
}  // namespace cambista::jobs
