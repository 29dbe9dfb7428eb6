#include "api/auth.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <thread>
#include <utility>

#include "security/totp.hpp"
#include "test_database.hpp"
#include "wait_for_response.hpp"

namespace cambista::api {
namespace {

class AuthTest : public cambista::testing::DatabaseTest {};

TEST_P(AuthTest, ScopesRateLimitsAndSecondFactor) {
  ManualClock clock(1'800'000'000'000'000'000);
  ApiKeyStore keys(db(), clock, std::string(32, 'm'), std::string(32, 'p'));
  TokenBucketLimiter per_key(clock, {2, 1});
  TokenBucketLimiter per_ip(clock, {1, 1});
  AuthGate gate{keys, per_key, per_ip};
  auto ok = [](const http::HttpRequest&, const http::PathParams&, const Principal& principal) {
    http::HttpResponse response;
    response.body = principal.tenant;
    return response;
  };
  http::Router router;
  router.Add("GET", "/read", http::RouteDoc{"r", "ledger:read"},
             RequireKey(gate, Scope::kLedgerRead, ok));
  router.Add("POST", "/approve", http::RouteDoc{"a", "payouts:approve"},
             RequireKey(gate, Scope::kPayoutsApprove, ok, SecondFactor::kTotp));
  const std::string key = keys.Create("ops", ScopeSet{Scope::kPayoutsApprove});
  auto request = [&](std::string method, std::string path, std::string totp = "") {
    http::HttpRequest r;
    r.method = std::move(method);
    r.path = std::move(path);
    r.remote_address = "127.0.0.9";
    r.headers.emplace_back("Authorization", "Bearer " + key);
    if (!totp.empty()) r.headers.emplace_back("X-TOTP", totp);
    return router.Handle(r);
  };
  EXPECT_EQ(request("GET", "/read").status, 403);
  EXPECT_EQ(request("POST", "/approve").body.find("totp_required") != std::string::npos, true);
  EXPECT_EQ(request("POST", "/approve").status, 429);  // burst of 2 per key spent
  clock.AdvanceMs(10'000);

  const auto uri = keys.EnrollTotp(key.substr(4, 8));
  ASSERT_TRUE(uri.has_value());
  const size_t at = uri->find("secret=") + 7;
  const auto secret = TotpSecret::FromBase32(uri->substr(at, uri->find('&', at) - at)).value();
  const std::string code = TotpCode(secret, clock.NowMs() / 1000);
  const http::HttpResponse approved = request("POST", "/approve", code);
  EXPECT_EQ(approved.status, 200);
  EXPECT_EQ(approved.body, "ops");
  EXPECT_EQ(approved.log_tenant, "ops");
  const http::HttpResponse replayed = request("POST", "/approve", code);
  EXPECT_EQ(replayed.status, 401);
  EXPECT_NE(replayed.body.find("totp_invalid"), std::string::npos);

  http::HttpRequest anonymous;
  anonymous.method = "GET";
  anonymous.path = "/read";
  anonymous.remote_address = "127.0.0.9";
  EXPECT_EQ(router.Handle(anonymous).status, 401);
  EXPECT_EQ(router.Handle(anonymous).status, 429);  // per-IP bucket of 1
}

// The tenant goes on a deferred response's answer, where the request log reads it.
TEST_P(AuthTest, ADeferredResponsePassesThroughMarkedWithTheTenant) {
  ManualClock clock;
  ApiKeyStore keys(db(), clock, std::string(32, 'm'), DeriveApiKeyPepper(std::string(32, 'm')));
  TokenBucketLimiter per_key(clock, {10, 10});
  TokenBucketLimiter per_ip(clock, {10, 10});
  AuthGate gate{keys, per_key, per_ip};
  std::thread answering;
  const http::RouteHandler route = RequireKey(
      gate, std::nullopt,
      [&answering](const http::HttpRequest&, const http::PathParams&, const Principal& principal) {
        return http::Defer([&answering, tenant = principal.tenant](http::Respond respond) {
          answering = std::thread([respond = std::move(respond), tenant] {
            http::HttpResponse response;
            response.status = 201;
            response.body = "created for " + tenant;
            respond(std::move(response));
          });
        });
      });
  http::HttpRequest request;
  request.method = "POST";
  request.path = "/charges";
  request.headers.emplace_back("Authorization",
                               "Bearer " + keys.Create("shop", ScopeSet{Scope::kLedgerRead}));
  const http::HttpResponse deferred = route(request, {});
  ASSERT_TRUE(http::IsDeferred(deferred));
  const http::HttpResponse answer = cambista::testing::WaitForResponse(deferred);
  EXPECT_EQ(answer.status, 201);
  EXPECT_EQ(answer.body, "created for shop");
  EXPECT_EQ(answer.log_tenant, "shop");
  answering.join();
}

// An expired key is 401 `key_expired` once its secret verifies; an unknown key stays
// `unauthorized`. Both count against the client's address, not the key.
TEST_P(AuthTest, ExpiredKeyIs401KeyExpired) {
  ManualClock clock(1'800'000'000'000'000'000);
  ApiKeyStore keys(db(), clock, std::string(32, 'm'), DeriveApiKeyPepper(std::string(32, 'm')));
  TokenBucketLimiter per_key(clock, {100, 100});
  TokenBucketLimiter per_ip(clock, {2, 1});
  AuthGate gate{keys, per_key, per_ip};
  http::Router router;
  router.Add("GET", "/metrics", http::RouteDoc{"m", "metrics:read"},
             RequireKey(gate, Scope::kMetricsRead,
                        [](const http::HttpRequest&, const http::PathParams&, const Principal&) {
                          return http::HttpResponse{};
                        }));
  const std::string key = keys.Create("ops", ScopeSet{Scope::kMetricsRead}, /*lifetime_ms=*/1'000);
  auto get = [&](const std::string& bearer) {
    http::HttpRequest r;
    r.method = "GET";
    r.path = "/metrics";
    r.remote_address = "127.0.0.9";
    r.headers.emplace_back("Authorization", "Bearer " + bearer);
    return router.Handle(r);
  };
  EXPECT_EQ(get(key).status, 200);
  clock.AdvanceMs(1'000);
  const http::HttpResponse expired = get(key);
  EXPECT_EQ(expired.status, 401);
  EXPECT_EQ(expired.content_type, "application/problem+json");
  EXPECT_NE(expired.body.find("\"code\":\"key_expired\""), std::string::npos) << expired.body;
  EXPECT_NE(std::find(expired.headers.begin(), expired.headers.end(),
                      std::pair<std::string, std::string>("WWW-Authenticate", "Bearer")),
            expired.headers.end());
  std::string wrong = key;
  wrong.back() = wrong.back() == 'a' ? 'b' : 'a';
  const http::HttpResponse unknown = get(wrong);
  EXPECT_EQ(unknown.status, 401);
  EXPECT_NE(unknown.body.find("\"code\":\"unauthorized\""), std::string::npos) << unknown.body;
  EXPECT_EQ(get(key).status, 429);  // the per-IP bucket of 2 is spent
}

// /metrics takes metrics:read (or admin); a key for anything else is 403.
TEST_P(AuthTest, MetricsReadScope) {
  ManualClock clock(1'800'000'000'000'000'000);
  ApiKeyStore keys(db(), clock, std::string(32, 'm'), DeriveApiKeyPepper(std::string(32, 'm')));
  TokenBucketLimiter limiter(clock, {100, 100});
  AuthGate gate{keys, limiter, limiter};
  http::Router router;
  router.Add("GET", "/metrics", http::RouteDoc{"m", "metrics:read"},
             RequireKey(gate, Scope::kMetricsRead,
                        [](const http::HttpRequest&, const http::PathParams&, const Principal&) {
                          return http::HttpResponse{};
                        }));
  auto status = [&](ScopeSet scopes) {
    http::HttpRequest r;
    r.method = "GET";
    r.path = "/metrics";
    r.remote_address = "127.0.0.9";
    r.headers.emplace_back("Authorization", "Bearer " + keys.Create("ops", scopes));
    return router.Handle(r).status;
  };
  EXPECT_EQ(status(ScopeSet{Scope::kMetricsRead}), 200);
  EXPECT_EQ(status(ScopeSet{Scope::kAdmin}), 200);
  EXPECT_EQ(status(ScopeSet{Scope::kLedgerRead, Scope::kWebhooksWrite}), 403);
}

INSTANTIATE_BACKENDS(AuthTest);

}  // namespace
}  // namespace cambista::api
