// Fixture of the EventFeed tests: a feed on the test database whose handler records what it hands
// on, helpers that emit events the way the product does (EmitEvent inside a transaction) on any
// connection, and a second node: another store::Database opened on the same database (the same
// PostgreSQL schema or SQLite file), as a second `cambista serve` would open it.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "events/event_feed.hpp"
#include "events_fixture.hpp"

namespace cambista::events {

class EventFeedTest : public EventsTest {
 protected:
  static EventFeedOptions TestOptions() {
    EventFeedOptions options;
    options.poll_ms = 5;
    return options;
  }

  std::unique_ptr<EventFeed> MakeFeed(EventFeedOptions options = TestOptions()) {
    return std::make_unique<EventFeed>(
        db(),
        [this](const StoredEvent& event) {
          std::lock_guard lock(mutex_);
          seen_.push_back(event);
        },
        options);
  }

  std::vector<StoredEvent> TakeSeen() {
    std::lock_guard lock(mutex_);
    return std::exchange(seen_, {});
  }

  std::vector<std::string> TakeSeenIds() {
    std::vector<std::string> ids;
    for (const StoredEvent& event : TakeSeen()) ids.push_back(event.id);
    return ids;
  }

  std::vector<int64_t> TakeSeenSeqs() {
    std::vector<int64_t> seqs;
    for (const StoredEvent& event : TakeSeen()) seqs.push_back(event.seq);
    return seqs;
  }

  size_t SeenCount() {
    std::lock_guard lock(mutex_);
    return seen_.size();
  }

  // One event in the caller's open transaction.
  std::string EmitIn(store::Connection& open_transaction, std::string tenant = "acme") {
    return EmitEvent(open_transaction, clock_,
                     NewEvent{std::move(tenant), "charge.paid", "charges", R"({"n":1})"}, 5)
        .id;
  }

  // One event in a transaction of its own on `connection`.
  std::string EmitCommittedOn(store::Connection& connection, std::string tenant = "acme") {
    store::Transaction tx(connection, store::TransactionMode::kWrite);
    std::string id = EmitIn(connection, std::move(tenant));
    tx.Commit();
    return id;
  }

  std::string Emit(std::string tenant = "acme") {
    return EmitCommittedOn(connection(), std::move(tenant));
  }

  // An event row with a chosen seq, as a transaction that took the seq long ago would commit it.
  // Tests that use it never call EmitEvent (PostgreSQL's sequence would hand out the same
  // numbers).
  void InsertWithSeq(int64_t seq) {
    const std::string id = "evt_seq" + std::to_string(seq);
    connection().Execute(
        "INSERT INTO events (seq, id, tenant, type, channel, data, created_at_ms) VALUES ($1, $2, "
        "'acme', 'charge.paid', 'charges', '{}', $3)",
        {seq, std::string_view(id), clock_.NowMs()});
  }

  std::unique_ptr<store::Database> OpenSecondNode() { return store::Open(url()); }

  // Polls until a poll hands on nothing: then every event committed before that poll has been
  // handed on. Returns how many were.
  static int Drain(EventFeed& feed) {
    int total = 0;
    for (int handed_on = feed.Poll(); handed_on > 0; handed_on = feed.Poll()) total += handed_on;
    return total;
  }

  std::mutex mutex_;
  std::vector<StoredEvent> seen_;
};

}  // namespace cambista::events
