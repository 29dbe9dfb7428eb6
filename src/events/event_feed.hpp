// Tails the events table for the live stream: a thread reads the events committed since it last
// looked (every poll_ms) and hands each to `on_event`, in `seq` order, once. Because it reads the
// database, it hears events committed by every process on the database, not just this one.
//
// On PostgreSQL, sequence numbers are taken at insert but become visible at commit, so a smaller
// seq can appear after a larger one. The feed remembers what it has passed on above its watermark
// and waits up to gap_wait_ms, from when it read a later seq, for a missing seq before giving up
// on it (a rolled-back transaction leaves a gap for ever). An event whose transaction commits later
// than that is not streamed; its webhooks are unaffected. The stream is live news: durable delivery
// is the webhooks' job.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/clock.hpp"
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
  int64_t gap_wait_ms = 5'000;
  int batch_max = 1'000;
};

class EventFeed {
 public:
  using Handler = std::function<void(const StoredEvent&)>;
  // Starts after the newest event already in the table.
  EventFeed(store::Database& database, const Clock& clock, Handler on_event,
            EventFeedOptions options = {});
  ~EventFeed();  // Stop()
  EventFeed(const EventFeed&) = delete;
  EventFeed& operator=(const EventFeed&) = delete;

  // One read, on the calling thread; returns the events handed on. Not while the thread runs.
  int Poll();
  void Start();
  void Stop();

 private:
  store::Database& database_;
  std::unique_ptr<store::Connection> connection_;
  const Clock& clock_;
  Handler on_event_;
  const EventFeedOptions options_;
  int64_t watermark_ = 0;  // every seq <= watermark_ is done with
  // Seqs > watermark_ already handed on, with when each was read. Every missing seq below one of
  // them was taken before it, so each gap is waited for from then: gaps seen together expire
  // together instead of one gap_wait_ms after another.
  std::map<int64_t, int64_t> passed_on_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace cambista::events
