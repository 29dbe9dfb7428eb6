// Events that integrators hear about (charge.paid, trade.completed, ...): written by EmitEvent in
// the transaction of the change they report, together with one `webhook.deliver` job per endpoint
// of the tenant subscribed to the type (the transactional outbox). So an event exists if and only
// if its change committed, and each subscribed endpoint is tried until it answers 2xx, answers
// 410, or runs out of attempts (webhook_delivery.hpp). The stream (events/stream.hpp) tails the
// same table (event_feed.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "store/database.hpp"

namespace cambista::events {

struct EventType {
  std::string_view name;     // "charge.paid"
  std::string_view channel;  // the stream channel it is published on: "charges"
};
// Every type an endpoint may subscribe to. `test.ping` comes from POST /v1/events/test.
std::span<const EventType> EventTypes();
std::optional<std::string_view> ChannelOf(std::string_view type);
// The stream channels: "charges", "payouts", "rates", "trades".
std::span<const std::string_view> Channels();

inline constexpr std::string_view kDeliverJobKind = "webhook.deliver";

struct NewEvent {
  std::string tenant;
  std::string type;     // one of EventTypes()
  std::string channel;  // one of Channels(); for test.ping the channel asked for
  std::string data;     // a JSON object: the event's `data`
};

struct EmittedEvent {
  std::string id;  // "evt_" + 24 hex digits
  int deliveries = 0;
};

// Inside the caller's open write transaction: the event row and its delivery jobs (at most
// attempts_max runs each).
EmittedEvent EmitEvent(store::Connection& tx, const Clock& clock, const NewEvent& event,
                       int attempts_max);

}  // namespace cambista::events
