#include "api/api_key_store.hpp"

#include <gtest/gtest.h>

#include "test_database.hpp"

namespace cambista::api {
namespace {

class ApiKeyStoreTest : public cambista::testing::DatabaseTest {};

TEST_P(ApiKeyStoreTest, IssueAuthenticateRevoke) {
  ManualClock clock;
  const std::string pepper(32, 'p');
  ApiKeyStore keys(db(), clock, pepper);
  const std::string key = keys.Create("acme", ScopeSet{Scope::kLedgerRead});
  auto principal = keys.Authenticate(key);
  ASSERT_TRUE(principal.has_value());
  EXPECT_EQ(principal->tenant, "acme");
  EXPECT_TRUE(HasScope(principal->scopes, Scope::kLedgerRead));
  EXPECT_FALSE(HasScope(principal->scopes, Scope::kPayoutsApprove));

  std::string wrong = key;
  wrong.back() = wrong.back() == 'a' ? 'b' : 'a';
  EXPECT_FALSE(keys.Authenticate(wrong).has_value());  // cached prefix, wrong secret
  EXPECT_FALSE(keys.Authenticate("cmb_aaaaaaaa_" + std::string(52, 'a')).has_value());
  EXPECT_FALSE(keys.Authenticate("Bearer nonsense").has_value());
  ApiKeyStore other_pepper(db(), clock, std::string(32, 'q'));
  EXPECT_FALSE(other_pepper.Authenticate(key).has_value());

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
  EXPECT_FALSE(keys.Revoke(records[0].prefix));      // already revoked
  EXPECT_FALSE(keys.Authenticate(key).has_value());  // at once in this process

  // Another store (another process) sees the revocation once its cache entry is older than the TTL.
  const std::string second = keys.Create("acme", ScopeSet{Scope::kAdmin});
  ApiKeyStore elsewhere(db(), clock, pepper);
  ASSERT_TRUE(elsewhere.Authenticate(second).has_value());
  ASSERT_TRUE(keys.Revoke(second.substr(4, 8)));            // cmb_<prefix>_...
  EXPECT_TRUE(elsewhere.Authenticate(second).has_value());  // still cached
  clock.AdvanceMs(1'001);
  EXPECT_FALSE(elsewhere.Authenticate(second).has_value());
}

INSTANTIATE_BACKENDS(ApiKeyStoreTest);

}  // namespace
}  // namespace cambista::api
