#include "events/event_feed.hpp"

#include "core/assert.hpp"

#include <chrono>
#include <vector>

namespace cambista::events {

EventFeed::EventFeed(store::Database& database, const Clock& clock, Handler on_event,
                     EventFeedOptions options)
    : database_(database),
      connection_(database.Connect()),
      clock_(clock),
      on_event_(std::move(on_event)),
      options_(options) {
  connection_->Query("SELECT COALESCE(MAX(seq), 0) FROM events", {},
                     [&](const store::Row& row) { watermark_ = row.Int64(0); });
}

EventFeed::~EventFeed() {
  Stop();
}

int EventFeed::Poll() {
  if (!connection_) connection_ = database_.Connect();
  std::vector<StoredEvent> fresh;
  connection_->Query(
      "SELECT seq, id, tenant, type, channel, data, created_at_ms FROM events WHERE seq > $1 "
      "ORDER BY seq LIMIT $2",
      {watermark_, int64_t{options_.batch_max}}, [&](const store::Row& row) {
        const int64_t seq = row.Int64(0);
        if (passed_on_.contains(seq)) return;
        fresh.push_back(StoredEvent{seq, std::string(row.Text(1)), std::string(row.Text(2)),
                                    std::string(row.Text(3)), std::string(row.Text(4)),
                                    std::string(row.Text(5)), row.Int64(6)});
      });
  const int64_t now_ms = clock_.NowMs();
  for (const StoredEvent& event : fresh) {
    passed_on_.emplace(event.seq, now_ms);
    on_event_(event);
  }
  // Move the watermark over what is contiguous, and over a gap once the seq above it has waited
  // gap_wait_ms.
  while (!passed_on_.empty()) {
    const auto [seq, read_at_ms] = *passed_on_.begin();
    if (seq != watermark_ + 1 && now_ms - read_at_ms < options_.gap_wait_ms) break;
    watermark_ = seq;
    passed_on_.erase(passed_on_.begin());
  }
  return static_cast<int>(fresh.size());
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
        // The database is away: reconnect at the next poll (readiness reports it meanwhile).
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
