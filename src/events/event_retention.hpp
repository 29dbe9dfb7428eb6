// What of the events module retention may purge (jobs/retention.hpp): events once their webhook
// deliveries are finished, and the record of every outbound delivery attempt.
#pragma once

#include <vector>

#include "jobs/retention.hpp"

namespace cambista::events {

// - events: older than the retention and no longer the subject of a `webhook.deliver` job that is
//   ready or running (delivered, given up, or never subscribed to); a delivery still retrying keeps
//   its event, which it needs to send.
// - webhook_attempts: older than the retention.
std::vector<jobs::PurgeRule> RetentionRules();

}  // namespace cambista::events
