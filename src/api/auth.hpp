// Authentication and authorization of routes: `Authorization: Bearer cmb_...` is checked against
// the key store; no valid key is 401 `unauthorized` (with WWW-Authenticate), a key whose secret is
// right but whose expiry has passed is 401 `key_expired`, a valid key without the route's scope is
// 403 `forbidden`. `admin` holds every scope. A handler's deferred response passes through, its
// answer marked with the tenant for the request log like an immediate one.
#pragma once

#include <functional>
#include <optional>

#include "api/api_key_store.hpp"
#include "http/router.hpp"
#include "security/token_bucket.hpp"

namespace cambista::api {

using AuthorizedHandler = std::function<http::HttpResponse(
    const http::HttpRequest&, const http::PathParams&, const Principal&)>;

// Rate limits of authenticated routes: per API key, and per client IP for requests without a valid
// key (so guessing keys is slow). Over the limit: 429 `rate_limited` with Retry-After.
struct AuthGate {
  ApiKeyStore& keys;
  TokenBucketLimiter& per_key;
  TokenBucketLimiter& per_ip;
};

enum class SecondFactor { kNone, kTotp };

// `scope` nullopt: any valid key. With SecondFactor::kTotp (sensitive actions) the request must
// also carry the key's current TOTP code in `X-TOTP`: 401 `totp_required` without one (or when the
// key has no TOTP enrolled), 401 `totp_invalid` for a wrong or already used code.
http::RouteHandler RequireKey(AuthGate& gate, std::optional<Scope> scope, AuthorizedHandler handler,
                              SecondFactor second_factor = SecondFactor::kNone);

http::HttpResponse RateLimited(int64_t retry_after_ms);

}  // namespace cambista::api
