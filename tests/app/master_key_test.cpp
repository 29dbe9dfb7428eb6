// The database seal (app/master_key.hpp): sealed at first start, another key refused before
// anything is written (the env-var key too), a missing key file not replaced, a database not yet
// sealed that holds another key's secrets refused, concurrent first starts agreeing. Both backends.
#include "app/master_key.hpp"

#include <gtest/gtest.h>

#include <latch>
#include <thread>
#include <vector>

#include "api/api_key_store.hpp"
#include "master_key_fixture.hpp"
#include "security/hmac.hpp"

namespace cambista::app {
namespace {

using SealTest = MasterKeyTest;

bool TableExists(store::Database& database, const std::string& table) {
  auto connection = database.Connect();
  bool exists = false;
  const std::string sql =
      connection->backend() == store::Backend::kSqlite
          ? "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '" + table + "'"
          : "SELECT 1 WHERE to_regclass('" + table + "') IS NOT NULL";
  connection->Query(sql, {}, [&](const store::Row&) { exists = true; });
  return exists;
}

TEST_P(SealTest, FirstStartSealsAndTheSameKeyOpens) {
  auto first = MigrateAndUnseal(ConfigWithKeyFile("a.key"), db(), clock_);
  ASSERT_TRUE(first.ok()) << first.error();
  EXPECT_TRUE(first.value().sealed_now);
  struct stat info {};
  ASSERT_EQ(::stat(KeyFile("a.key").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  auto key = ReadMasterKeyFile(KeyFile("a.key"));
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(first.value().keys.master_key, key.value());
  EXPECT_EQ(first.value().keys.api_key_pepper, api::DeriveApiKeyPepper(key.value()));

  // The seal holds the fingerprint and the pepper sealed: neither the key nor the pepper.
  auto connection = db().Connect();
  int rows = 0;
  connection->Query("SELECT key_fingerprint, api_key_pepper_sealed FROM database_seal", {},
                    [&](const store::Row& row) {
                      ++rows;
                      EXPECT_EQ(row.Text(0), MasterKeyFingerprint(key.value()));
                      EXPECT_EQ(row.Text(0).size(), 64u);
                      for (const std::string& secret : {key.value(), HexEncode(key.value()),
                                                        first.value().keys.api_key_pepper}) {
                        EXPECT_EQ(row.Text(0).find(secret), std::string::npos);
                        EXPECT_EQ(row.Bytes(1).find(secret), std::string::npos);
                      }
                    });
  EXPECT_EQ(rows, 1);

  auto again = MigrateAndUnseal(ConfigWithKeyFile("a.key"), db(), clock_);
  ASSERT_TRUE(again.ok()) << again.error();
  EXPECT_FALSE(again.value().sealed_now);
  EXPECT_EQ(again.value().keys.api_key_pepper, first.value().keys.api_key_pepper);
}

TEST_P(SealTest, AnotherKeyFileIsRefusedBeforeAnythingIsWritten) {
  ASSERT_TRUE(MigrateAndUnseal(ConfigWithKeyFile("a.key"), db(), clock_).ok());
  const auto sealed = SealedFingerprint();
  ASSERT_TRUE(CreateMasterKeyFileIfMissing(KeyFile("b.key")).ok());
  // A newer binary: one migration more. With the wrong key it is not applied either.
  std::vector<store::Migration> migrations(AllMigrations().begin(), AllMigrations().end());
  migrations.push_back(store::Migration{1000, "seal_test", "CREATE TABLE seal_test (x INTEGER)",
                                        "CREATE TABLE seal_test (x integer)"});

  auto refused = MigrateAndUnseal(ConfigWithKeyFile("b.key"), db(), clock_, migrations);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("the master key file " + KeyFile("b.key")), std::string::npos)
      << refused.error();
  EXPECT_NE(refused.error().find("not this database's master key"), std::string::npos);
  EXPECT_FALSE(TableExists(db(), "seal_test"));
  EXPECT_EQ(SealedFingerprint(), sealed);

  auto accepted = MigrateAndUnseal(ConfigWithKeyFile("a.key"), db(), clock_, migrations);
  ASSERT_TRUE(accepted.ok()) << accepted.error();
  EXPECT_EQ(accepted.value().migrations.applied, std::vector<int>{1000});
  EXPECT_TRUE(TableExists(db(), "seal_test"));
}

TEST_P(SealTest, MissingKeyFileOfASealedDatabaseIsNotReplaced) {
  ASSERT_TRUE(MigrateAndUnseal(ConfigWithKeyFile("a.key"), db(), clock_).ok());
  auto refused = MigrateAndUnseal(ConfigWithKeyFile("gone.key"), db(), clock_);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("the master key file " + KeyFile("gone.key") + " does not exist"),
            std::string::npos)
      << refused.error();
  EXPECT_FALSE(Exists(KeyFile("gone.key")));
}

TEST_P(SealTest, KeyFromTheEnvironmentIsCheckedToo) {
  ASSERT_TRUE(MigrateAndUnseal(ConfigWithKeyFile("a.key"), db(), clock_).ok());
  const std::string right = HexEncode(ReadMasterKeyFile(KeyFile("a.key")).value());
  const std::string wrong(64, 'e');
  for (const std::string& hex : {wrong, right}) {
    auto config = LoadConfig(
        std::nullopt, {{"CAMBISTA_DATABASE_URL", url()}, {"CAMBISTA_SECURITY_MASTER_KEY", hex}});
    ASSERT_TRUE(config.ok()) << config.error().ToString();
    auto unsealed = MigrateAndUnseal(config.value(), db(), clock_);
    if (hex == wrong) {
      ASSERT_FALSE(unsealed.ok());
      EXPECT_NE(unsealed.error().find("CAMBISTA_SECURITY_MASTER_KEY"), std::string::npos)
          << unsealed.error();
      EXPECT_EQ(unsealed.error().find(wrong), std::string::npos);  // the key is never repeated
    } else {
      ASSERT_TRUE(unsealed.ok()) << unsealed.error();
    }
  }
}

TEST_P(SealTest, UnsealedDatabaseHoldingAnotherKeysSecretsIsRefused) {
  // Secrets written before the seal existed (an older binary), under another key.
  const std::string other(32, 'o');
  api::ApiKeyStore keys(db(), clock_, other, api::DeriveApiKeyPepper(other));
  const std::string key = keys.Create("ops", ScopeSet{Scope::kAdmin});
  ASSERT_TRUE(keys.EnrollTotp(key.substr(4, 8)).has_value());

  // Its key file is gone: no new one is made for it.
  auto missing = MigrateAndUnseal(ConfigWithKeyFile("new.key"), db(), clock_);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().find("does not exist"), std::string::npos) << missing.error();
  EXPECT_FALSE(Exists(KeyFile("new.key")));
  // Another key that exists does not open them: refused, nothing sealed.
  ASSERT_TRUE(CreateMasterKeyFileIfMissing(KeyFile("b.key")).ok());
  auto refused = MigrateAndUnseal(ConfigWithKeyFile("b.key"), db(), clock_);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("api_keys.totp_secret of the row prefix=" + key.substr(4, 8)),
            std::string::npos)
      << refused.error();
  EXPECT_NE(refused.error().find(KeyFile("b.key")), std::string::npos);
  EXPECT_FALSE(SealedFingerprint().has_value());
}

TEST_P(SealTest, ConcurrentFirstStartsAgreeOnOneSeal) {
  ASSERT_TRUE(CreateMasterKeyFileIfMissing(KeyFile("b.key")).ok());
  // Two processes with the same key (its file created by whichever comes first), then two with
  // different keys on a database of their own: one seal wins, the other start is checked by it.
  for (const auto& [first, second] :
       std::vector<std::pair<std::string, std::string>>{{"a.key", "a.key"}, {"a.key", "b.key"}}) {
    auto database = cambista::testing::TestDatabase::Create(backend());
    std::latch start(2);
    std::vector<std::optional<Result<UnsealedDatabase, std::string>>> results(2);
    std::vector<std::thread> threads;
    for (int i = 0; i < 2; ++i) {
      Config config = ConfigWithKeyFile(i == 0 ? first : second);
      config.database_url = database->url();
      threads.emplace_back([&, i, config] {
        start.arrive_and_wait();
        results[i].emplace(MigrateAndUnseal(config, database->db(), clock_));
      });
    }
    for (std::thread& thread : threads) thread.join();
    const int succeeded = results[0]->ok() + results[1]->ok();
    if (first == second) {
      ASSERT_EQ(succeeded, 2) << (results[0]->ok() ? results[1]->error() : results[0]->error());
      EXPECT_EQ(results[0]->value().sealed_now + results[1]->value().sealed_now, 1);
      EXPECT_EQ(results[0]->value().keys.api_key_pepper, results[1]->value().keys.api_key_pepper);
    } else {
      ASSERT_EQ(succeeded, 1);
      const int loser = results[0]->ok() ? 1 : 0;
      EXPECT_NE(results[loser]->error().find(KeyFile(loser == 0 ? first : second)),
                std::string::npos)
          << results[loser]->error();
    }
  }
}

INSTANTIATE_BACKENDS(SealTest);

}  // namespace
}  // namespace cambista::app
