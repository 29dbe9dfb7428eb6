// Tails the events table for the live stream: a thread reads the events committed since it last
// looked (every poll_ms) and hands each to `on_event` once. Because it reads the database, it hears
// events committed by every process on the database, not just this one. No committed event is
// skipped, however late its transaction commits; a rolled-back one never holds the feed up.
//
// SQLite has one writer at a time, so `seq` is taken in commit order: the feed reads what lies
// above the largest seq it has handed on.
//
// On PostgreSQL `seq` is taken at insert and becomes visible at commit, so a smaller seq can
// appear after a larger one, any time later. Each event row carries its transaction's id (`xid`,
// filled in by the column's default). Every read is one statement, so one snapshot: it returns
// the snapshot itself, the events above the cursor (the largest seq handed on) and the events at
// or below it whose transaction was still running, or not yet begun, in the previous read's
// snapshot. An event missing below the cursor belongs to such a transaction: had its transaction
// ended before the previous read, that read would have seen the event and handed it on. So each
// read returns exactly the events that became visible since the one before, and the feed's whole
// state is the cursor and that snapshot: no gap is waited for, a slow transaction's events come
// when it commits, a rolled-back transaction's never and without delay.
//
// Order: each read's events are handed on in seq order, and a read's events after the previous
// read's. So an event whose transaction committed before another's took its seq (a change made in
// answer to an earlier one) comes first; events of concurrent transactions may come in either
// order. `created_at_ms` is the insert time on the emitting node's clock, not a delivery order:
// events of concurrent transactions (several nodes, a slow transaction) may arrive with their
// timestamps out of order.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/database.hpp"

namespace cambista::events {

struct StoredEvent {
  int64_t seq = 0;
  std::string id;
  std::string tenant;
  std::string type;
  std::string channel;
  std::string data;  // JSON object
  int64_t created_at_ms = 0;
};

struct EventFeedOptions {
  int64_t poll_ms = 100;
  // Events above the cursor read at most per poll. Late events below it (PostgreSQL) are not
  // limited: they are at most what the transactions running at the previous poll wrote.
  int batch_max = 1'000;
};

class EventFeed {
 public:
  // Called on the polling thread, in order; must not throw (an event it throws on is lost to the
  // stream, and so are the rest of that read).
  using Handler = std::function<void(const StoredEvent&)>;
  // Starts after the newest event already committed; events of transactions still running then
  // are handed on when they commit.
  EventFeed(store::Database& database, Handler on_event, EventFeedOptions options = {});
  ~EventFeed();  // Stop()
  EventFeed(const EventFeed&) = delete;
  EventFeed& operator=(const EventFeed&) = delete;

  // One read, on the calling thread; returns the events handed on. Not while the thread runs.
  int Poll();
  void Start();
  void Stop();

 private:
  std::vector<StoredEvent> ReadSqlite();
  std::vector<StoredEvent> ReadPostgres();

  store::Database& database_;
  std::unique_ptr<store::Connection> connection_;
  Handler on_event_;
  const EventFeedOptions options_;
  int64_t cursor_ = 0;    // the largest seq handed on (or the newest at start)
  std::string snapshot_;  // PostgreSQL: the previous read's snapshot, pg_snapshot as text
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace cambista::events
