#include "api/auth.hpp"

#include "http/problem.hpp"

#include <algorithm>

namespace cambista::api {

http::HttpResponse RateLimited(int64_t retry_after_ms) {
  http::HttpResponse response = http::Problem(429, "rate_limited", "Too many requests",
                                              "Slow down and retry after Retry-After.");
  const int64_t seconds =
      retry_after_ms == TokenBucketLimiter::kRetryNever ? 3600 : (retry_after_ms + 999) / 1000;
  response.headers.emplace_back("Retry-After", std::to_string(std::max<int64_t>(1, seconds)));
  return response;
}

namespace {

std::optional<http::HttpResponse> CheckSecondFactor(ApiKeyStore& keys, const Principal& principal,
                                                    const http::HttpRequest& request) {
  const std::string_view code = request.Header("X-TOTP");
  const auto check = code.empty() ? ApiKeyStore::TotpCheck::kNotEnrolled
                                  : keys.CheckTotp(principal.key_prefix, code);
  if (check == ApiKeyStore::TotpCheck::kOk) return std::nullopt;
  if (code.empty() || check == ApiKeyStore::TotpCheck::kNotEnrolled) {
    return http::Problem(401, "totp_required", "Second factor required",
                         "This action needs the API key's current TOTP code in X-TOTP (enroll with "
                         "`cambista keys totp-enroll`).");
  }
  return http::Problem(401, "totp_invalid", "Second factor refused",
                       "The X-TOTP code is wrong, expired or already used.");
}

// The 401 for a refused key, with WWW-Authenticate.
http::HttpResponse Unauthenticated(KeyRefusal refusal) {
  http::HttpResponse response =
      refusal == KeyRefusal::kExpired
          ? http::Problem(401, "key_expired", "API key expired",
                          "This API key has passed its expiry; issue a new one with `cambista keys "
                          "create` (see `keys list` for expiries).")
          : http::Problem(401, "unauthorized", "Unauthorized",
                          "Send a valid API key as `Authorization: Bearer cmb_<prefix>_<secret>`.");
  response.headers.emplace_back("WWW-Authenticate", "Bearer");
  return response;
}

}  // namespace

http::RouteHandler RequireKey(AuthGate& gate, std::optional<Scope> scope, AuthorizedHandler handler,
                              SecondFactor second_factor) {
  return [&gate, scope, handler = std::move(handler), second_factor](
             const http::HttpRequest& request, const http::PathParams& params) {
    constexpr std::string_view kBearer = "Bearer ";
    const std::string_view authorization = request.Header("Authorization");
    Result<Principal, KeyRefusal> principal = Failure{KeyRefusal::kInvalid};
    if (authorization.starts_with(kBearer)) {
      principal = gate.keys.Authenticate(authorization.substr(kBearer.size()));
    }
    if (!principal.ok()) {
      // An expired key counts against its address like any other refused key.
      const RateDecision decision = gate.per_ip.TryAcquire(request.remote_address);
      if (!decision.allowed) return RateLimited(decision.retry_after_ms);
      return Unauthenticated(principal.error());
    }
    const RateDecision decision = gate.per_key.TryAcquire(principal->key_prefix);
    http::HttpResponse response;
    if (!decision.allowed) {
      response = RateLimited(decision.retry_after_ms);
    } else if (scope && !HasScope(principal->scopes, *scope)) {
      response =
          http::Problem(403, "forbidden", "Forbidden",
                        "This API key lacks the scope " + std::string(ScopeName(*scope)) + ".");
    } else if (auto refusal = second_factor == SecondFactor::kTotp
                                  ? CheckSecondFactor(gate.keys, *principal, request)
                                  : std::nullopt) {
      response = std::move(*refusal);
    } else {
      response = handler(request, params, *principal);
      if (http::IsDeferred(response)) {  // the tenant goes on the answer, when it comes
        return http::WhenFinal(std::move(response),
                               [tenant = principal->tenant](http::HttpResponse answer) {
                                 answer.log_tenant = tenant;
                                 return answer;
                               });
      }
    }
    response.log_tenant = principal->tenant;
    return response;
  };
}

}  // namespace cambista::api
