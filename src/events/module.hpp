// Events as a module (module/module.hpp): its migrations (the outbox and the delivery attempts,
// events/schema.hpp) and Install(), which registers the outbound webhook delivery job (signed
// Standard Webhooks deliveries, retried with backoff), the retention of delivered events and old
// attempts, the attempts metric, and the tenants' webhook endpoint routes (/v1/webhook-endpoints).
#pragma once

#include "module/module.hpp"

namespace cambista::events {

extern const module::Module kModule;

}  // namespace cambista::events
