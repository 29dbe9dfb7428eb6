// The events module's retention rules on both backends: an old event goes once no delivery of it is
// still to be made; old delivery attempts go.
#include "events/event_retention.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "events_fixture.hpp"
#include "jobs/retention.hpp"

namespace cambista::events {
namespace {

constexpr int64_t kDayMs = 86'400'000;

class EventRetentionTest : public EventsTest {
 protected:
  void SetDeliveryState(const std::string& event_id, const TestEndpoint& endpoint,
                        jobs::JobState state) {
    const std::string key = "webhook:" + event_id + ":" + endpoint.id;
    ASSERT_EQ(connection().Execute("UPDATE jobs SET state = $2 WHERE dedupe_key = $1",
                                   {std::string_view(key), static_cast<int64_t>(state)}),
              1);
  }

  bool EventExists(const std::string& id) {
    bool found = false;
    connection().Query("SELECT 1 FROM events WHERE id = $1", {std::string_view(id)},
                       [&](const store::Row&) { found = true; });
    return found;
  }

  void InsertAttempt(std::string_view event_id, int64_t at_ms) {
    connection().Execute(
        "INSERT INTO webhook_attempts (endpoint_id, event_id, event_type, attempt, outcome, "
        "duration_ms, attempted_at_ms) VALUES ('we_x', $1, 'charge.paid', 1, 'succeeded', 5, $2)",
        {event_id, at_ms});
  }

  jobs::JobOutcome RunRetention(jobs::Retention& retention) {
    const jobs::ClaimedJob job{};
    return retention.Run(jobs::JobContext(job, connection()));
  }
};

TEST_P(EventRetentionTest, OldEventsGoOnceTheirDeliveriesAreFinished) {
  const TestEndpoint endpoint = AddEndpoint("acme", "https://hooks.example/", "charge.paid");
  const NewEvent paid{"acme", "charge.paid", "charges", R"({"charge_id":"ch_1"})"};
  const NewEvent unheard{"quiet", "charge.paid", "charges", R"({"charge_id":"ch_2"})"};
  const std::string delivered = EmitCommitted(paid).id;
  const std::string retrying = EmitCommitted(paid).id;
  const std::string sending = EmitCommitted(paid).id;
  const std::string given_up = EmitCommitted(paid).id;
  const std::string no_endpoint = EmitCommitted(unheard).id;
  clock_.AdvanceMs(40 * kDayMs);
  const std::string recent = EmitCommitted(paid).id;
  SetDeliveryState(delivered, endpoint, jobs::JobState::kDone);
  SetDeliveryState(sending, endpoint, jobs::JobState::kRunning);
  SetDeliveryState(given_up, endpoint, jobs::JobState::kDead);
  SetDeliveryState(recent, endpoint, jobs::JobState::kDone);
  // `retrying` stays ready: a delivery still to be tried needs its event.

  jobs::Retention retention(clock_);
  for (jobs::PurgeRule& rule : RetentionRules()) retention.AddRule(std::move(rule));
  EXPECT_EQ(RunRetention(retention).kind(), jobs::JobOutcome::Kind::kDone);
  EXPECT_FALSE(EventExists(delivered));
  EXPECT_TRUE(EventExists(retrying));
  EXPECT_TRUE(EventExists(sending));
  EXPECT_FALSE(EventExists(given_up));
  EXPECT_FALSE(EventExists(no_endpoint));
  EXPECT_TRUE(EventExists(recent));

  SetDeliveryState(retrying, endpoint, jobs::JobState::kDone);
  SetDeliveryState(sending, endpoint, jobs::JobState::kDone);
  EXPECT_EQ(RunRetention(retention).kind(), jobs::JobOutcome::Kind::kDone);
  EXPECT_FALSE(EventExists(retrying));
  EXPECT_FALSE(EventExists(sending));
  EXPECT_TRUE(EventExists(recent));
  EXPECT_EQ(CountRows("events"), 1);
}

TEST_P(EventRetentionTest, OldDeliveryAttemptsGo) {
  const int64_t now_ms = clock_.NowMs();
  InsertAttempt("evt_old", now_ms - 31 * kDayMs);
  InsertAttempt("evt_old", now_ms - 30 * kDayMs - 1);
  InsertAttempt("evt_new", now_ms - 30 * kDayMs);  // exactly at the cutoff: kept
  InsertAttempt("evt_new", now_ms);
  jobs::RetentionOptions options;
  options.batch_rows = 1;  // one row per statement: the run takes four statements
  jobs::Retention retention(clock_, options);
  for (jobs::PurgeRule& rule : RetentionRules()) retention.AddRule(std::move(rule));
  EXPECT_EQ(RunRetention(retention).kind(), jobs::JobOutcome::Kind::kDone);
  EXPECT_EQ(CountRows("webhook_attempts"), 2);
  int64_t old_left = -1;
  connection().Query("SELECT count(*) FROM webhook_attempts WHERE event_id = 'evt_old'", {},
                     [&](const store::Row& row) { old_left = row.Int64(0); });
  EXPECT_EQ(old_left, 0);
}

INSTANTIATE_BACKENDS(EventRetentionTest);

}  // namespace
}  // namespace cambista::events
