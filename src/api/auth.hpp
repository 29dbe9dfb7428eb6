// Authentication and authorization of routes: `Authorization: Bearer cmb_...` is checked against
// the key store; no valid key is 401 `unauthorized` (with WWW-Authenticate), a valid key without
// the route's scope is 403 `forbidden`. `admin` holds every scope.
#pragma once

#include <functional>
#include <optional>

#include "api/api_key_store.hpp"
#include "api/router.hpp"
#include "security/token_bucket.hpp"

namespace cambista::api {

using AuthorizedHandler =
    std::function<HttpResponse(const HttpRequest&, const PathParams&, const Principal&)>;

// Rate limits of authenticated routes: per API key, and per client IP for requests without a valid
// key (so guessing keys is slow). Over the limit: 429 `rate_limited` with Retry-After.
struct AuthGate {
  ApiKeyStore& keys;
  TokenBucketLimiter& per_key;
  TokenBucketLimiter& per_ip;
};

// `scope` nullopt: any valid key.
RouteHandler RequireKey(AuthGate& gate, std::optional<Scope> scope, AuthorizedHandler handler);

HttpResponse RateLimited(int64_t retry_after_ms);

}  // namespace cambista::api
