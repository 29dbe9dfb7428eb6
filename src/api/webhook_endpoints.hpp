// Outbound webhook endpoints of a tenant: POST (idempotent; the `whsec_` signing secret is shown
// once and kept sealed), GET (list, never the secret), DELETE, and the delivery attempts of one
// (events/webhook_delivery.hpp sends them). POST /v1/events/test emits a `test.ping` event, so an
// integrator can check a receiver and a stream subscription end to end.
#pragma once

#include "api/auth.hpp"
#include "api/idempotency.hpp"
#include "security/secret_box.hpp"

namespace cambista::api {

void AddWebhookEndpointRoutes(Router& router, AuthGate& gate, Idempotency& idempotency,
                              const SecretBox& box, store::Database& database, const Clock& clock,
                              int delivery_attempts_max, bool allow_private_addresses);

}  // namespace cambista::api
