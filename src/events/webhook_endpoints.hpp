// Outbound webhook endpoints of a tenant: POST (idempotent; the `whsec_` signing secret is shown
// once and kept sealed), GET (list, never the secret), DELETE, and the delivery attempts of one
// (events/webhook_delivery.hpp sends them), each with its time, outcome, HTTP status, error,
// duration and next attempt. POST /v1/events/test emits a `test.ping` event, so an integrator can
// check a receiver and a stream subscription end to end.
//
// An endpoint must lead to the public internet (SSRF): an IP literal that is not public is 400 at
// once; a host name is resolved at registration, and any address that is not public makes it 422
// `url_not_public` (naming the host and the address), a name that does not resolve 422
// `url_unresolvable`, so a mistake shows when it is made instead of as failed deliveries later.
// Deliveries check the addresses again (the name may resolve differently by then).
// `allow_private_addresses` (webhooks.allow_private_addresses, for development) lifts all of it.
#pragma once

#include <optional>

#include "api/auth.hpp"
#include "api/idempotency.hpp"
#include "net/http_client.hpp"
#include "security/secret_box.hpp"

namespace cambista::events {

inline constexpr int64_t kEndpointResolveTimeoutMs = 5'000;

// The 422 for an endpoint URL given what its host resolved to: `url_unresolvable` when resolution
// failed, `url_not_public` for the first address that is not public; nullopt when all are.
std::optional<http::HttpResponse> EndpointAddressRefusal(
    const Result<net::ResolvedHost, net::HttpClientError>& resolved);

void AddWebhookEndpointRoutes(http::Router& router, api::AuthGate& gate,
                              api::Idempotency& idempotency, const SecretBox& box,
                              store::Database& database, const Clock& clock,
                              int delivery_attempts_max, bool allow_private_addresses);

}  // namespace cambista::events
