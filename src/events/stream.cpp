#include "events/stream.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "events/event_outbox.hpp"
#include "events/webhook_delivery.hpp"
#include "http/problem.hpp"

namespace cambista::events {

using namespace cambista::api;  // the HTTP side's types: WebSocket, Problem, AuthGate

struct StreamHub::Subscriber {
  uint64_t id = 0;
  std::shared_ptr<http::WebSocketConnection> connection;
  Principal principal;
  std::set<std::string, std::less<>> channels;  // hub mutex_
};

namespace {

constexpr size_t kChannelsMax = 8;

std::string ErrorMessage(std::string_view code, std::string_view detail) {
  return "{\"type\":\"error\",\"code\":" + http::JsonString(code) +
         ",\"detail\":" + http::JsonString(detail) + "}";
}

// The scope a channel needs, or "" when any key may listen.
bool MayListen(const ScopeSet& scopes, std::string_view channel) {
  if (channel == "charges") return HasScope(scopes, Scope::kChargesRead);
  if (channel == "trades") return HasScope(scopes, Scope::kTradesRead);
  if (channel == "payouts") {
    return HasScope(scopes, Scope::kPayoutsWrite) || HasScope(scopes, Scope::kPayoutsApprove);
  }
  return channel == "rates";
}

std::string ChannelList(const std::set<std::string, std::less<>>& channels) {
  std::string list = "[";
  for (const std::string& channel : channels) {
    list += (list.size() > 1 ? "," : "") + http::JsonString(channel);
  }
  return list + "]";
}

}  // namespace

http::WebSocketUpgrade StreamHub::Upgrade(const http::HttpRequest& request) {
  // Authenticate (and rate-limit) exactly as a route does; the inner handler only runs for a
  // valid key and hands the principal out.
  std::optional<Principal> principal;
  const http::RouteHandler authenticate = RequireKey(
      gate_, std::nullopt,
      [&principal](const http::HttpRequest&, const http::PathParams&, const Principal& p) {
        principal = p;
        return http::HttpResponse{};
      });
  http::HttpResponse refusal = authenticate(request, {});
  http::WebSocketUpgrade upgrade;
  if (!principal || refusal.status != 200) {
    upgrade.refusal = std::move(refusal);
    return upgrade;
  }
  upgrade.on_open = [this, principal =
                               *principal](std::shared_ptr<http::WebSocketConnection> connection) {
    auto subscriber = std::make_shared<Subscriber>();
    subscriber->connection = std::move(connection);
    subscriber->principal = principal;
    {
      std::lock_guard lock(mutex_);
      subscriber->id = next_id_++;
      subscribers_[subscriber->id] = subscriber;
    }
    const uint64_t id = subscriber->id;
    http::WebSocketCallbacks callbacks;
    // Weak: the connection holds these callbacks, and the subscriber holds the connection.
    callbacks.on_message = [this,
                            weak = std::weak_ptr<Subscriber>(subscriber)](std::string_view text) {
      if (auto strong = weak.lock()) OnMessage(*strong, text);
    };
    callbacks.on_close = [this, id] {
      std::lock_guard lock(mutex_);
      subscribers_.erase(id);
    };
    return callbacks;
  };
  return upgrade;
}

void StreamHub::OnMessage(Subscriber& subscriber, std::string_view text) {
  boost::system::error_code error;
  const boost::json::value value = boost::json::parse(text, error);
  const boost::json::object* message = !error && value.is_object() ? &value.as_object() : nullptr;
  const boost::json::value* type = message ? message->if_contains("type") : nullptr;
  if (!type || !type->is_string()) {
    subscriber.connection->Send(
        ErrorMessage("invalid_request", "Send a JSON object with a string \"type\"."));
    return;
  }
  const std::string_view kind = type->as_string();
  if (kind == "ping") {
    subscriber.connection->Send(R"({"type":"pong"})");
    return;
  }
  if (kind != "subscribe" && kind != "unsubscribe") {
    subscriber.connection->Send(
        ErrorMessage("invalid_request", "\"type\" must be one of subscribe, unsubscribe, ping."));
    return;
  }
  const boost::json::value* channels = message->if_contains("channels");
  if (!channels || !channels->is_array() || channels->as_array().empty() ||
      channels->as_array().size() > kChannelsMax) {
    subscriber.connection->Send(ErrorMessage(
        "invalid_request", "\"channels\" must be a non-empty array of channel names."));
    return;
  }
  std::vector<std::string> names;
  for (const boost::json::value& channel : channels->as_array()) {
    const auto known = events::Channels();
    if (!channel.is_string() || std::find(known.begin(), known.end(),
                                          std::string_view(channel.as_string())) == known.end()) {
      subscriber.connection->Send(ErrorMessage(
          "invalid_request", "\"channels\" items must be charges, payouts, rates or trades."));
      return;
    }
    names.emplace_back(channel.as_string());
    if (kind == "subscribe" && !MayListen(subscriber.principal.scopes, names.back())) {
      subscriber.connection->Send(ErrorMessage(
          "forbidden", "This API key lacks the scope of channel " + names.back() + "."));
      return;
    }
  }
  std::string reply;
  {
    std::lock_guard lock(mutex_);
    for (std::string& name : names) {
      if (kind == "subscribe") {
        subscriber.channels.insert(std::move(name));
      } else {
        subscriber.channels.erase(name);
      }
    }
    reply = "{\"type\":\"" + std::string(kind) +
            "d\",\"channels\":" + ChannelList(subscriber.channels) + "}";
  }
  subscriber.connection->Send(std::move(reply));
}

void StreamHub::Publish(const events::StoredEvent& event) {
  std::vector<std::shared_ptr<Subscriber>> audience;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, subscriber] : subscribers_) {
      if ((event.tenant == kAllTenants || subscriber->principal.tenant == event.tenant) &&
          subscriber->channels.contains(event.channel)) {
        audience.push_back(subscriber);
      }
    }
  }
  if (audience.empty()) return;
  const std::string message =
      "{\"type\":\"event\",\"channel\":" + http::JsonString(event.channel) +
      ",\"event\":" + events::WebhookBody(event.id, event.type, event.created_at_ms, event.data) +
      "}";
  for (const auto& subscriber : audience) {
    switch (subscriber->connection->Send(message)) {
      case http::WebSocketConnection::SendResult::kQueued:
        events_sent_.fetch_add(1, std::memory_order_relaxed);
        break;
      case http::WebSocketConnection::SendResult::kDroppedSlow:
        dropped_slow_.fetch_add(1, std::memory_order_relaxed);
        break;
      case http::WebSocketConnection::SendResult::kClosed:
        break;  // on_close removes it
    }
  }
}

StreamStats StreamHub::stats() const {
  std::lock_guard lock(mutex_);
  return StreamStats{static_cast<int64_t>(subscribers_.size()), events_sent_.load(),
                     dropped_slow_.load()};
}

}  // namespace cambista::events
