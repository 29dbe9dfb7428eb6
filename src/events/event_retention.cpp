#include "events/event_retention.hpp"

#include <string>

#include "events/event_outbox.hpp"

namespace cambista::events {

std::vector<jobs::PurgeRule> RetentionRules() {
  // A delivery job is keyed "webhook:<event id>:<endpoint id>" (EmitEvent), and an event id is
  // "evt_" and 24 hex digits: characters 9 to 36 of the key. The live deliveries are read once per
  // statement (an uncorrelated NOT IN, through the partial index jobs_live), not once per event.
  jobs::PurgeRule events;
  events.table = "events";
  events.key_column = "seq";
  events.time_column = "created_at_ms";
  events.condition = "id NOT IN (SELECT substr(dedupe_key, 9, 28) FROM jobs WHERE kind = '" +
                     std::string(kDeliverJobKind) +
                     "' AND state IN (0, 1) AND dedupe_key IS NOT NULL)";

  jobs::PurgeRule attempts;
  attempts.table = "webhook_attempts";
  attempts.key_column = "id";
  attempts.time_column = "attempted_at_ms";
  return {events, attempts};
}

}  // namespace cambista::events
