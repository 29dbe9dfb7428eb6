// GET /v1/stream: events over a WebSocket. The upgrade request authenticates like any route
// (`Authorization: Bearer`, 401/429 as problem+json). Then, client to server:
//   {"type":"subscribe","channels":["charges","trades"]} -> {"type":"subscribed","channels":[..]}
//   {"type":"unsubscribe","channels":["trades"]}       -> {"type":"unsubscribed","channels":[..]}
//   {"type":"ping"}                                    -> {"type":"pong"}
// and server to client, for every event of the key's tenant on a subscribed channel:
//   {"type":"event","channel":"charges","event":{"id","type","timestamp","data"}}
// (the event object is the body its webhook carries). Channels need the key's scope: charges
// charges:read, trades trades:read, payouts payouts:write or payouts:approve, rates any key. A bad
// message gets {"type":"error","code":...,"detail":...} and the connection stays open.
// Publishing never blocks: a client that does not read is dropped with close code 1008 once its
// queue is full (HttpServerOptions::websocket_queue_bytes_max). WebSocket pings keep idle
// connections honest (the server answers pings and sends its own).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

#include "api/auth.hpp"
#include "events/event_feed.hpp"

namespace cambista::events {

// Events of this tenant go to every tenant's subscribers (market-wide news such as rates).
inline constexpr std::string_view kAllTenants = "*";

struct StreamStats {
  int64_t connections = 0;   // open now
  int64_t events_sent = 0;   // messages queued to clients since start
  int64_t dropped_slow = 0;  // clients closed for not reading
};

class StreamHub {
 public:
  explicit StreamHub(api::AuthGate& gate) : gate_(gate) {}

  // The WebSocketHandler of /v1/stream.
  http::WebSocketUpgrade Upgrade(const http::HttpRequest& request);
  // From the event feed's thread.
  void Publish(const StoredEvent& event);
  StreamStats stats() const;

 private:
  struct Subscriber;
  void OnMessage(Subscriber& subscriber, std::string_view text);

  api::AuthGate& gate_;
  mutable std::mutex mutex_;
  std::map<uint64_t, std::shared_ptr<Subscriber>> subscribers_;
  uint64_t next_id_ = 1;
  std::atomic<int64_t> events_sent_{0};
  std::atomic<int64_t> dropped_slow_{0};
};

}  // namespace cambista::events
