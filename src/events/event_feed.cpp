#include "events/event_feed.hpp"

#include <algorithm>
#include <chrono>
#include <string_view>

#include "core/assert.hpp"

namespace cambista::events {
namespace {

constexpr std::string_view kSqliteStartSql = "SELECT COALESCE(MAX(seq), 0) FROM events";
constexpr std::string_view kSqliteReadSql =
    "SELECT seq, id, tenant, type, channel, data, created_at_ms FROM events WHERE seq > $1 "
    "ORDER BY seq LIMIT $2";

// The snapshot taken with the newest seq, in one statement: events of transactions running then
// are below that seq yet still to come.
constexpr std::string_view kPostgresStartSql =
    "SELECT COALESCE(MAX(seq), 0), pg_current_snapshot()::text FROM events";
// $1 the cursor, $2 the previous read's snapshot, $3 batch_max. One statement, so `late`, `fresh`
// and pg_current_snapshot() share one snapshot. `late` is what the previous snapshot could not
// see below the cursor, the events of transactions in progress for it: those in its xip list, and
// every xid at or above its xmax, which the list leaves out (transactions that took their id after
// the last one to end, and those that took their seq before their id: nextval runs before the
// insert assigns the id). Both arms are ranges of the events_xid index. The LEFT JOIN returns the
// snapshot even when no event came.
constexpr std::string_view kPostgresReadSql = R"sql(
WITH late AS (
  SELECT seq, id, tenant, type, channel, data, created_at_ms FROM events
  WHERE seq <= $1 AND (xid = ANY(ARRAY(SELECT pg_snapshot_xip($2::pg_snapshot)))
                       OR xid >= pg_snapshot_xmax($2::pg_snapshot))
), fresh AS (
  SELECT seq, id, tenant, type, channel, data, created_at_ms FROM events
  WHERE seq > $1 ORDER BY seq LIMIT $3
)
SELECT taken.snapshot, e.seq, e.id, e.tenant, e.type, e.channel, e.data, e.created_at_ms
FROM (SELECT pg_current_snapshot()::text AS snapshot) taken
LEFT JOIN (SELECT * FROM late UNION ALL SELECT * FROM fresh) e ON true
ORDER BY e.seq)sql";

StoredEvent ReadEvent(const store::Row& row, int first) {
  return StoredEvent{row.Int64(first),
                     std::string(row.Text(first + 1)),
                     std::string(row.Text(first + 2)),
                     std::string(row.Text(first + 3)),
                     std::string(row.Text(first + 4)),
                     std::string(row.Text(first + 5)),
                     row.Int64(first + 6)};
}

}  // namespace

EventFeed::EventFeed(store::Database& database, Handler on_event, EventFeedOptions options)
    : database_(database),
      connection_(database.Connect()),
      on_event_(std::move(on_event)),
      options_(options) {
  if (connection_->backend() == store::Backend::kSqlite) {
    connection_->Query(kSqliteStartSql, {}, [&](const store::Row& row) { cursor_ = row.Int64(0); });
    return;
  }
  connection_->Query(kPostgresStartSql, {}, [&](const store::Row& row) {
    cursor_ = row.Int64(0);
    snapshot_ = std::string(row.Text(1));
  });
}

EventFeed::~EventFeed() {
  Stop();
}

std::vector<StoredEvent> EventFeed::ReadSqlite() {
  std::vector<StoredEvent> events;
  connection_->Query(kSqliteReadSql, {cursor_, int64_t{options_.batch_max}},
                     [&](const store::Row& row) { events.push_back(ReadEvent(row, 0)); });
  return events;
}

std::vector<StoredEvent> EventFeed::ReadPostgres() {
  std::vector<StoredEvent> events;
  std::string snapshot;
  connection_->Query(kPostgresReadSql,
                     {cursor_, std::string_view(snapshot_), int64_t{options_.batch_max}},
                     [&](const store::Row& row) {
                       snapshot = std::string(row.Text(0));
                       if (!row.IsNull(1)) events.push_back(ReadEvent(row, 1));
                     });
  CAMBISTA_CHECK(!snapshot.empty());
  snapshot_ = std::move(snapshot);
  return events;
}

int EventFeed::Poll() {
  if (!connection_) connection_ = database_.Connect();
  const std::vector<StoredEvent> events =
      connection_->backend() == store::Backend::kSqlite ? ReadSqlite() : ReadPostgres();
  for (const StoredEvent& event : events) cursor_ = std::max(cursor_, event.seq);
  for (const StoredEvent& event : events) on_event_(event);
  return static_cast<int>(events.size());
}

void EventFeed::Start() {
  CAMBISTA_CHECK(!thread_.joinable());
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  thread_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      lock.unlock();
      try {
        Poll();
      } catch (const std::exception&) {
        // The database is away: reconnect at the next poll (readiness reports it meanwhile). The
        // cursor and snapshot are values, valid on any connection.
        connection_.reset();
      }
      lock.lock();
      wake_.wait_for(lock, std::chrono::milliseconds(options_.poll_ms),
                     [this] { return stopping_; });
    }
  });
}

void EventFeed::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace cambista::events
