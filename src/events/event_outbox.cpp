#include "events/event_outbox.hpp"

#include <algorithm>
#include <array>
#include <vector>

#include "core/assert.hpp"
#include "jobs/job_table.hpp"
#include "security/hmac.hpp"

namespace cambista::events {
namespace {

constexpr std::array kEventTypes = {
    EventType{"charge.paid", "charges"},
    EventType{"charge.failed", "charges"},
    EventType{"charge.expired", "charges"},
    EventType{"charge.refunded", "charges"},
    EventType{"charge.manual_review", "charges"},
    EventType{"charge.refund_pending", "charges"},
    EventType{"trade.awaiting_payment", "trades"},
    EventType{"trade.payment_confirmed", "trades"},
    EventType{"trade.payout_pending", "trades"},
    EventType{"trade.completed", "trades"},
    EventType{"trade.expired", "trades"},
    EventType{"trade.cancelled", "trades"},
    EventType{"trade.refund_pending", "trades"},
    EventType{"trade.refunded", "trades"},
    EventType{"trade.manual_review", "trades"},
    EventType{"payout.requested", "payouts"},
    EventType{"payout.awaiting_approval", "payouts"},
    EventType{"payout.submitted", "payouts"},
    EventType{"payout.unknown", "payouts"},
    EventType{"payout.confirmed", "payouts"},
    EventType{"payout.failed", "payouts"},
    EventType{"payout.cancelled", "payouts"},
    EventType{"payout.rejected", "payouts"},
    EventType{"payout.manual_review", "payouts"},
    EventType{"reconciliation.mismatch", ""},
    EventType{"treasury.capacity_alert", "payouts"},
    EventType{"rate.updated", "rates"},
    EventType{"test.ping", ""},
};
constexpr std::array<std::string_view, 4> kChannels = {"charges", "payouts", "rates", "trades"};

bool Subscribed(std::string_view list, std::string_view type) {
  size_t start = 0;
  while (start <= list.size()) {
    const size_t comma = list.find(',', start);
    if (list.substr(start, comma - start) == type) return true;
    if (comma == std::string_view::npos) return false;
    start = comma + 1;
  }
  return false;
}

}  // namespace

std::span<const EventType> EventTypes() {
  return kEventTypes;
}

std::optional<std::string_view> ChannelOf(std::string_view type) {
  for (const EventType& known : kEventTypes) {
    if (known.name == type) return known.channel;
  }
  return std::nullopt;
}

std::span<const std::string_view> Channels() {
  return kChannels;
}

EmittedEvent EmitEvent(store::Connection& tx, const Clock& clock, const NewEvent& event,
                       int attempts_max) {
  const auto channel = ChannelOf(event.type);
  CAMBISTA_CHECK(channel.has_value());
  // A type has its channel; test.ping and reconciliation.mismatch (of a payout or a charge) go on
  // whichever channel the caller names.
  CAMBISTA_CHECK(channel->empty() ? std::find(kChannels.begin(), kChannels.end(), event.channel) !=
                                        kChannels.end()
                                  : *channel == event.channel);
  EmittedEvent emitted{"evt_" + HexEncode(RandomBytes(12)), 0};
  const int64_t now_ms = clock.NowMs();
  tx.Execute(
      "INSERT INTO events (id, tenant, type, channel, data, created_at_ms) VALUES ($1, $2, $3, $4, "
      "$5, $6)",
      {std::string_view(emitted.id), std::string_view(event.tenant), std::string_view(event.type),
       std::string_view(event.channel), std::string_view(event.data), now_ms});
  std::vector<std::string> endpoints;
  tx.Query(
      "SELECT id, event_types FROM webhook_endpoints WHERE tenant = $1 AND deleted_at_ms IS NULL "
      "AND disabled_at_ms IS NULL ORDER BY id",
      {std::string_view(event.tenant)}, [&](const store::Row& row) {
        if (Subscribed(row.Text(1), event.type)) endpoints.emplace_back(row.Text(0));
      });
  for (const std::string& endpoint : endpoints) {
    jobs::NewJob job;
    job.kind = std::string(kDeliverJobKind);
    job.payload = "{\"event_id\":\"" + emitted.id + "\",\"endpoint_id\":\"" + endpoint + "\"}";
    job.dedupe_key = "webhook:" + emitted.id + ":" + endpoint;
    job.max_attempts = attempts_max;
    jobs::Enqueue(tx, clock, job);
    ++emitted.deliveries;
  }
  return emitted;
}

}  // namespace cambista::events
