#include "api/api_key_store.hpp"

#include "api/idempotency.hpp"

#include <gtest/gtest.h>

#include "security/totp.hpp"
#include "test_database.hpp"

namespace cambista::api {
namespace {

class ApiKeyStoreTest : public cambista::testing::DatabaseTest {};

TEST_P(ApiKeyStoreTest, IssueAuthenticateRevoke) {
  ManualClock clock;
  const std::string pepper(32, 'p');
  ApiKeyStore keys(db(), clock, std::string(32, 'm'), pepper);
  const std::string key = keys.Create("acme", ScopeSet{Scope::kLedgerRead});
  auto principal = keys.Authenticate(key);
  ASSERT_TRUE(principal.ok());
  EXPECT_EQ(principal->tenant, "acme");
  EXPECT_TRUE(HasScope(principal->scopes, Scope::kLedgerRead));
  EXPECT_FALSE(HasScope(principal->scopes, Scope::kPayoutsApprove));

  std::string wrong = key;
  wrong.back() = wrong.back() == 'a' ? 'b' : 'a';
  EXPECT_EQ(keys.Authenticate(wrong).error(), KeyRefusal::kInvalid);  // cached prefix, wrong secret
  EXPECT_EQ(keys.Authenticate("cmb_aaaaaaaa_" + std::string(52, 'a')).error(),
            KeyRefusal::kInvalid);
  EXPECT_EQ(keys.Authenticate("Bearer nonsense").error(), KeyRefusal::kInvalid);
  ApiKeyStore other_pepper(db(), clock, std::string(32, 'm'), std::string(32, 'q'));
  EXPECT_EQ(other_pepper.Authenticate(key).error(), KeyRefusal::kInvalid);

  // Nothing but the hash is stored.
  auto connection = db().Connect();
  connection->Query("SELECT secret_hash FROM api_keys", {}, [&](const store::Row& row) {
    EXPECT_EQ(row.Bytes(0).size(), 32u);
    EXPECT_EQ(key.find(row.Bytes(0)), std::string::npos);
  });

  const auto records = keys.List();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_FALSE(records[0].revoked_at_ms.has_value());
  EXPECT_TRUE(keys.Revoke(records[0].prefix));
  EXPECT_FALSE(keys.Revoke(records[0].prefix));                     // already revoked
  EXPECT_EQ(keys.Authenticate(key).error(), KeyRefusal::kInvalid);  // at once in this process

  // Another store (another process) sees the revocation once its cache entry is older than the TTL.
  const std::string second = keys.Create("acme", ScopeSet{Scope::kAdmin});
  ApiKeyStore elsewhere(db(), clock, std::string(32, 'm'), pepper);
  ASSERT_TRUE(elsewhere.Authenticate(second).ok());
  ASSERT_TRUE(keys.Revoke(second.substr(4, 8)));     // cmb_<prefix>_...
  EXPECT_TRUE(elsewhere.Authenticate(second).ok());  // still cached
  clock.AdvanceMs(1'001);
  EXPECT_EQ(elsewhere.Authenticate(second).error(), KeyRefusal::kInvalid);
}

TEST_P(ApiKeyStoreTest, AKeyStopsAtItsExpiry) {
  ManualClock clock;
  const std::string pepper(32, 'p');
  ApiKeyStore keys(db(), clock, std::string(32, 'm'), pepper);
  const int64_t expires_at_ms = clock.NowMs() + 90LL * 24 * 3'600'000;
  const std::string key = keys.Create("acme", ScopeSet{Scope::kLedgerRead}, 90LL * 24 * 3'600'000);
  const std::string forever = keys.Create("acme", ScopeSet{Scope::kLedgerRead});
  ASSERT_TRUE(keys.Authenticate(key).ok());  // cached from here on
  const auto records = keys.List();
  ASSERT_EQ(records.size(), 2u);
  for (const auto& record : records) {
    EXPECT_EQ(record.expires_at_ms, key.substr(4, 8) == record.prefix
                                        ? std::optional<int64_t>(expires_at_ms)
                                        : std::nullopt);
  }

  clock.AdvanceMs(expires_at_ms - clock.NowMs() - 1);
  EXPECT_TRUE(keys.Authenticate(key).ok());  // the last millisecond
  clock.AdvanceMs(1);
  // The cache entry may still be fresh (it was read within the TTL): expiry applies all the same.
  EXPECT_EQ(keys.Authenticate(key).error(), KeyRefusal::kExpired);
  EXPECT_TRUE(keys.Authenticate(forever).ok());
  // Read fresh from the database by another process's store.
  ApiKeyStore elsewhere(db(), clock, std::string(32, 'm'), pepper);
  EXPECT_EQ(elsewhere.Authenticate(key).error(), KeyRefusal::kExpired);
  // Only the holder of the secret learns the key expired: a wrong secret is just invalid.
  std::string wrong = key;
  wrong.back() = wrong.back() == 'a' ? 'b' : 'a';
  EXPECT_EQ(keys.Authenticate(wrong).error(), KeyRefusal::kInvalid);
  EXPECT_EQ(elsewhere.Authenticate(wrong).error(), KeyRefusal::kInvalid);
  // Revoked beats expired: nothing more is told about a revoked key.
  ASSERT_TRUE(keys.Revoke(key.substr(4, 8)));
  EXPECT_EQ(keys.Authenticate(key).error(), KeyRefusal::kInvalid);
}

// The cache keeps what it read for its TTL; the expiry it read applies at the exact millisecond.
TEST_P(ApiKeyStoreTest, ACachedKeyExpiresOnTime) {
  ManualClock clock;
  ApiKeyStore keys(db(), clock, std::string(32, 'm'), std::string(32, 'p'),
                   /*cache_ttl_ms=*/60'000);
  const std::string key = keys.Create("acme", ScopeSet{}, /*lifetime_ms=*/10);
  ASSERT_TRUE(keys.Authenticate(key).ok());
  auto connection = db().Connect();
  connection->Execute("DELETE FROM api_keys", {});  // only the cache knows the key now
  ASSERT_TRUE(keys.Authenticate(key).ok());
  clock.AdvanceMs(10);
  EXPECT_EQ(keys.Authenticate(key).error(), KeyRefusal::kExpired);
}

TEST_P(ApiKeyStoreTest, AnExpiredKeyCannotEnrollTotp) {
  ManualClock clock;
  ApiKeyStore keys(db(), clock, std::string(32, 'm'), std::string(32, 'p'));
  const std::string key = keys.Create("ops", ScopeSet{Scope::kAdmin}, /*lifetime_ms=*/60'000);
  EXPECT_TRUE(keys.EnrollTotp(key.substr(4, 8)).has_value());
  clock.AdvanceMs(60'000);
  EXPECT_FALSE(keys.EnrollTotp(key.substr(4, 8)).has_value());
}

TEST_P(ApiKeyStoreTest, TotpEnrollmentAndChecks) {
  ManualClock clock(1'800'000'000'000'000'000);
  const std::string master(32, 'm');
  ApiKeyStore keys(db(), clock, master, DeriveApiKeyPepper(master));
  const std::string key = keys.Create("ops", ScopeSet{Scope::kPayoutsApprove});
  const std::string prefix = key.substr(4, 8);
  using C = ApiKeyStore::TotpCheck;
  EXPECT_EQ(keys.CheckTotp(prefix, "123456"), C::kNotEnrolled);
  EXPECT_FALSE(keys.EnrollTotp("zzzzzzzz").has_value());

  const auto uri = keys.EnrollTotp(prefix);
  ASSERT_TRUE(uri.has_value());
  ASSERT_EQ(uri->rfind("otpauth://totp/", 0), 0u) << *uri;
  const size_t at = uri->find("secret=") + 7;
  const auto secret = TotpSecret::FromBase32(uri->substr(at, uri->find('&', at) - at));
  ASSERT_TRUE(secret.ok());
  // The seed is sealed at rest: its bytes are not in the row.
  auto connection = db().Connect();
  connection->Query("SELECT totp_secret FROM api_keys", {}, [&](const store::Row& row) {
    EXPECT_EQ(row.Bytes(0).find(secret.value().bytes()), std::string::npos);
  });

  const int64_t now_s = clock.NowMs() / 1000;
  const std::string code = TotpCode(secret.value(), now_s);
  EXPECT_EQ(keys.CheckTotp(prefix, code), C::kOk);
  EXPECT_EQ(keys.CheckTotp(prefix, code), C::kReplayed);  // a code works once
  std::string wrong = code;
  wrong[0] = wrong[0] == '9' ? '0' : static_cast<char>(wrong[0] + 1);
  clock.AdvanceMs(30'000);
  EXPECT_EQ(keys.CheckTotp(prefix, wrong), C::kWrongCode);
  EXPECT_EQ(keys.CheckTotp(prefix, TotpCode(secret.value(), now_s + 30)), C::kOk);
  // Another master key cannot open the seed.
  ApiKeyStore other(db(), clock, std::string(32, 'n'), DeriveApiKeyPepper(std::string(32, 'n')));
  EXPECT_EQ(other.CheckTotp(prefix, TotpCode(secret.value(), now_s + 60)), C::kNotEnrolled);
}

TEST_P(ApiKeyStoreTest, IdempotencyKeysArePurgedAfterADay) {
  auto connection = db().Connect();
  const int64_t now_ms = 10 * kIdempotencyKeepMs;
  for (int64_t age_ms : {int64_t{0}, kIdempotencyKeepMs - 1, kIdempotencyKeepMs + 1}) {
    const std::string key = "k" + std::to_string(age_ms);
    connection->Execute(
        "INSERT INTO idempotency_keys (tenant, idempotency_key, request_hash, state, "
        "created_at_ms, locked_until_ms) VALUES ('t', $1, $2, 1, $3, 0)",
        {std::string_view(key), store::Blob{"h"}, now_ms - age_ms});
  }
  for (int i = 0; i < 4; ++i) {  // more old keys, to purge in batches
    const std::string key = "old" + std::to_string(i);
    connection->Execute(
        "INSERT INTO idempotency_keys (tenant, idempotency_key, request_hash, state, "
        "created_at_ms, locked_until_ms) VALUES ('u', $1, $2, 2, $3, 0)",
        {std::string_view(key), store::Blob{"h"}, now_ms - 2 * kIdempotencyKeepMs});
  }
  EXPECT_EQ(PurgeIdempotencyKeys(*connection, now_ms, 3), 3);  // one bounded batch
  EXPECT_EQ(PurgeIdempotencyKeys(*connection, now_ms, 3), 2);
  EXPECT_EQ(PurgeIdempotencyKeys(*connection, now_ms), 0);
  int64_t left = 0;
  connection->Query("SELECT count(*) FROM idempotency_keys", {},
                    [&](const store::Row& row) { left = row.Int64(0); });
  EXPECT_EQ(left, 2);
}

INSTANTIATE_BACKENDS(ApiKeyStoreTest);

}  // namespace
}  // namespace cambista::api
