#include "api/auth.hpp"

#include <gtest/gtest.h>

#include "security/totp.hpp"
#include "test_database.hpp"

namespace cambista::api {
namespace {

class AuthTest : public cambista::testing::DatabaseTest {};

TEST_P(AuthTest, ScopesRateLimitsAndSecondFactor) {
  ManualClock clock(1'800'000'000'000'000'000);
  ApiKeyStore keys(db(), clock, std::string(32, 'm'), std::string(32, 'p'));
  TokenBucketLimiter per_key(clock, {2, 1});
  TokenBucketLimiter per_ip(clock, {1, 1});
  AuthGate gate{keys, per_key, per_ip};
  auto ok = [](const HttpRequest&, const PathParams&, const Principal& principal) {
    HttpResponse response;
    response.body = principal.tenant;
    return response;
  };
  Router router;
  router.Add("GET", "/read", RouteDoc{"r", "ledger:read"},
             RequireKey(gate, Scope::kLedgerRead, ok));
  router.Add("POST", "/approve", RouteDoc{"a", "payouts:approve"},
             RequireKey(gate, Scope::kPayoutsApprove, ok, SecondFactor::kTotp));
  const std::string key = keys.Create("ops", ScopeSet{Scope::kPayoutsApprove});
  auto request = [&](std::string method, std::string path, std::string totp = "") {
    HttpRequest r;
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
  const HttpResponse approved = request("POST", "/approve", code);
  EXPECT_EQ(approved.status, 200);
  EXPECT_EQ(approved.body, "ops");
  EXPECT_EQ(approved.log_tenant, "ops");
  const HttpResponse replayed = request("POST", "/approve", code);
  EXPECT_EQ(replayed.status, 401);
  EXPECT_NE(replayed.body.find("totp_invalid"), std::string::npos);

  HttpRequest anonymous;
  anonymous.method = "GET";
  anonymous.path = "/read";
  anonymous.remote_address = "127.0.0.9";
  EXPECT_EQ(router.Handle(anonymous).status, 401);
  EXPECT_EQ(router.Handle(anonymous).status, 429);  // per-IP bucket of 1
}

INSTANTIATE_BACKENDS(AuthTest);

}  // namespace
}  // namespace cambista::api
