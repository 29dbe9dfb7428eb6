// Outbound webhook endpoints of a tenant: POST (idempotent; the `whsec_` signing secret is shown
// once and kept sealed), GET (list, never the secret), DELETE. Deliveries come with [api] item 9.
#pragma once

#include "api/auth.hpp"
#include "api/idempotency.hpp"
#include "security/secret_box.hpp"

namespace cambista::api {

void AddWebhookEndpointRoutes(Router& router, AuthGate& gate, Idempotency& idempotency,
                              const SecretBox& box, store::Database& database, const Clock& clock);

}  // namespace cambista::api
