// EmitEvent on both backends: the event row and one delivery job per subscribed, active endpoint
// of the tenant, all inside the caller's transaction.
#include "events/event_outbox.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>
#include <string>
#include <vector>

#include "events_fixture.hpp"

namespace cambista::events {
namespace {

using EventOutboxTest = EventsTest;

struct EventRow {
  std::string tenant;
  std::string type;
  std::string channel;
  std::string data;
  int64_t created_at_ms = 0;
};

std::optional<EventRow> LoadEventRow(store::Connection& connection, const std::string& id) {
  std::optional<EventRow> event;
  connection.Query("SELECT tenant, type, channel, data, created_at_ms FROM events WHERE id = $1",
                   {std::string_view(id)}, [&](const store::Row& row) {
                     event =
                         EventRow{std::string(row.Text(0)), std::string(row.Text(1)),
                                  std::string(row.Text(2)), std::string(row.Text(3)), row.Int64(4)};
                   });
  return event;
}

// endpoint id -> event id, from the job payloads.
std::map<std::string, std::string> PayloadTargets(const std::vector<jobs::JobRecord>& records) {
  std::map<std::string, std::string> targets;
  for (const jobs::JobRecord& record : records) {
    const boost::json::object payload = boost::json::parse(record.payload).as_object();
    targets[std::string(payload.at("endpoint_id").as_string())] =
        std::string(payload.at("event_id").as_string());
  }
  return targets;
}

NewEvent ChargePaid(std::string tenant) {
  return NewEvent{std::move(tenant), "charge.paid", "charges", R"({"charge_id":"ch_1"})"};
}

TEST_P(EventOutboxTest, InsertsTheEventRow) {
  const EmittedEvent emitted = EmitCommitted(ChargePaid("acme"));

  ASSERT_EQ(emitted.id.size(), 4u + 24u);
  EXPECT_EQ(emitted.id.substr(0, 4), "evt_");
  EXPECT_EQ(emitted.id.find_first_not_of("0123456789abcdef", 4), std::string::npos);
  EXPECT_EQ(emitted.deliveries, 0);
  const auto row = LoadEventRow(connection(), emitted.id);
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->tenant, "acme");
  EXPECT_EQ(row->type, "charge.paid");
  EXPECT_EQ(row->channel, "charges");
  EXPECT_EQ(row->data, R"({"charge_id":"ch_1"})");
  EXPECT_EQ(row->created_at_ms, clock_.NowMs());
  EXPECT_EQ(CountRows("jobs"), 0);
}

TEST_P(EventOutboxTest, EveryEventGetsItsOwnId) {
  const EmittedEvent first = EmitCommitted(ChargePaid("acme"));
  const EmittedEvent second = EmitCommitted(ChargePaid("acme"));
  EXPECT_NE(first.id, second.id);
  EXPECT_EQ(CountRows("events"), 2);
}

TEST_P(EventOutboxTest, TestPingGoesOnTheChannelAskedFor) {
  const EmittedEvent emitted = EmitCommitted(NewEvent{"acme", "test.ping", "rates", "{}"});
  EXPECT_EQ(LoadEventRow(connection(), emitted.id)->channel, "rates");
}

TEST_P(EventOutboxTest, EnqueuesOneJobPerSubscribedActiveEndpointOfTheTenant) {
  const std::string url = "http://127.0.0.1:9/hooks";
  const TestEndpoint only = AddEndpoint("acme", url, "charge.paid");
  const TestEndpoint first_of_two = AddEndpoint("acme", url, "charge.paid,charge.failed");
  const TestEndpoint last_of_three =
      AddEndpoint("acme", url, "trade.completed,charge.failed,charge.paid");
  // Not these: another type, names that only share a prefix or suffix, another tenant, an
  // endpoint deleted and one disabled.
  AddEndpoint("acme", url, "charge.failed");
  AddEndpoint("acme", url, "charge.paid.late,charge.pai,xcharge.paid");
  AddEndpoint("other", url, "charge.paid");
  const TestEndpoint deleted = AddEndpoint("acme", url, "charge.paid");
  SetEndpointTime(deleted.id, "deleted_at_ms", clock_.NowMs());
  const TestEndpoint disabled = AddEndpoint("acme", url, "charge.paid");
  SetEndpointTime(disabled.id, "disabled_at_ms", clock_.NowMs());
  clock_.AdvanceMs(1'234);

  const EmittedEvent emitted = EmitCommitted(ChargePaid("acme"), 7);

  EXPECT_EQ(emitted.deliveries, 3);
  const auto records = DeliveryJobs();
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(
      PayloadTargets(records),
      (std::map<std::string, std::string>{
          {only.id, emitted.id}, {first_of_two.id, emitted.id}, {last_of_three.id, emitted.id}}));
  for (const jobs::JobRecord& record : records) {
    EXPECT_EQ(record.kind, kDeliverJobKind);
    EXPECT_EQ(record.state, jobs::JobState::kReady);
    EXPECT_EQ(record.attempts, 0);
    EXPECT_EQ(record.max_attempts, 7);
    EXPECT_EQ(record.run_at_ms, clock_.NowMs());  // due at once
    const std::string endpoint_id(
        boost::json::parse(record.payload).as_object().at("endpoint_id").as_string());
    EXPECT_EQ(record.dedupe_key, "webhook:" + emitted.id + ":" + endpoint_id);
  }
}

TEST_P(EventOutboxTest, OnlyTheEmittingTenantsEndpointsAreCalled) {
  AddEndpoint("acme", "http://a.example/", "charge.paid");
  const TestEndpoint other = AddEndpoint("other", "http://b.example/", "charge.paid");

  const EmittedEvent emitted = EmitCommitted(ChargePaid("other"));

  EXPECT_EQ(emitted.deliveries, 1);
  EXPECT_EQ(PayloadTargets(DeliveryJobs()),
            (std::map<std::string, std::string>{{other.id, emitted.id}}));
}

TEST_P(EventOutboxTest, AnotherTypeReachesItsOwnSubscribers) {
  AddEndpoint("acme", "http://a.example/", "charge.paid");
  const TestEndpoint trades = AddEndpoint("acme", "http://b.example/", "trade.completed");

  const EmittedEvent emitted =
      EmitCommitted(NewEvent{"acme", "trade.completed", "trades", R"({"trade_id":"tr_1"})"});

  EXPECT_EQ(emitted.deliveries, 1);
  EXPECT_EQ(PayloadTargets(DeliveryJobs()),
            (std::map<std::string, std::string>{{trades.id, emitted.id}}));
}

TEST_P(EventOutboxTest, RollsBackWithTheCallersTransaction) {
  AddEndpoint("acme", "http://a.example/", "charge.paid");
  AddEndpoint("acme", "http://b.example/", "charge.paid");
  connection().Begin(store::TransactionMode::kWrite);
  const EmittedEvent emitted = EmitEvent(connection(), clock_, ChargePaid("acme"), 5);
  EXPECT_EQ(emitted.deliveries, 2);
  // Visible inside the transaction ...
  EXPECT_TRUE(LoadEventRow(connection(), emitted.id).has_value());
  EXPECT_EQ(CountRows("jobs"), 2);
  connection().Rollback();
  // ... and gone with it.
  EXPECT_EQ(CountRows("events"), 0);
  EXPECT_EQ(CountRows("jobs"), 0);
}

TEST_P(EventOutboxTest, TransactionGuardRollbackLeavesNothing) {
  AddEndpoint("acme", "http://a.example/", "charge.paid");
  {
    store::Transaction tx(connection(), store::TransactionMode::kWrite);
    EmitEvent(connection(), clock_, ChargePaid("acme"), 5);
  }  // no Commit: the guard rolls back
  EXPECT_EQ(CountRows("events"), 0);
  EXPECT_EQ(CountRows("jobs"), 0);
  // The next event commits normally.
  const EmittedEvent emitted = EmitCommitted(ChargePaid("acme"));
  EXPECT_EQ(emitted.deliveries, 1);
  EXPECT_EQ(CountRows("events"), 1);
  EXPECT_EQ(CountRows("jobs"), 1);
}

INSTANTIATE_BACKENDS(EventOutboxTest);

}  // namespace
}  // namespace cambista::events
