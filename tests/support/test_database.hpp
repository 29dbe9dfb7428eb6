// Fresh, migrated databases for tests, on either backend.
//
//   #include "test_database.hpp"          // link cambista_test_support
//
//   class LedgerTest : public cambista::testing::DatabaseTest {};
//   TEST_P(LedgerTest, Posts) {
//     auto connection = db().Connect();     // db(): the store::Database of this test
//     ...                                    // url(): its URL, e.g. for a child process
//   }
//   INSTANTIATE_BACKENDS(LedgerTest);       // LedgerTest.Posts/sqlite and .../postgresql
//
// Every test gets its own database with every migration applied:
// - SQLite: a new file in a new temporary directory, removed after the test.
// - PostgreSQL: a new schema t_<random> in the database named by the environment variable
//   CAMBISTA_TEST_PG_URL (scripts/pg-test-server prints one), reached through a URL that sets
//   search_path with `options=-csearch_path%3Dt_...`; the schema is dropped after the test. When
//   the variable is unset the PostgreSQL case is skipped with a message saying so (the project's
//   test script always sets it). The base URL must not carry its own `options=` parameter.
//
// A fixture that overrides SetUp() calls DatabaseTest::SetUp() first and returns if IsSkipped().
// Override MigrateOnSetUp() to return false for an empty database. Outside a parametrized fixture,
// TestDatabase::Create() gives the same databases.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "store/database.hpp"

namespace cambista::testing {

inline constexpr const char* kPostgresUrlVariable = "CAMBISTA_TEST_PG_URL";

// CAMBISTA_TEST_PG_URL, or nullopt when unset or empty.
std::optional<std::string> PostgresTestUrl();

// A fresh database that removes itself (file or schema) when destroyed.
class TestDatabase {
 public:
  // nullptr for kPostgres when CAMBISTA_TEST_PG_URL is unset. Throws store::Error on failure.
  static std::unique_ptr<TestDatabase> Create(store::Backend backend, bool migrate = true,
                                              const store::Options& options = {});
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;
  ~TestDatabase();

  store::Database& db() { return *database_; }
  const std::string& url() const { return url_; }

 private:
  TestDatabase() = default;

  std::string url_;
  std::unique_ptr<store::Database> database_;
  std::string temporary_directory_;           // SQLite
  std::unique_ptr<store::Connection> admin_;  // PostgreSQL: drops the schema at the end
  std::string schema_;                        // PostgreSQL
};

// Base fixture of tests that run against each backend; the parameter is the backend.
class DatabaseTest : public ::testing::TestWithParam<store::Backend> {
 protected:
  void SetUp() override;
  void TearDown() override;

  store::Database& db() { return database_->db(); }
  std::string url() const { return database_->url(); }
  store::Backend backend() const { return GetParam(); }
  virtual bool MigrateOnSetUp() const { return true; }

 private:
  std::unique_ptr<TestDatabase> database_;
};

// "sqlite" / "postgresql", for test names.
std::string BackendTestName(const ::testing::TestParamInfo<store::Backend>& info);

}  // namespace cambista::testing

// Runs every TEST_P of Suite once per backend.
#define INSTANTIATE_BACKENDS(Suite)                                                  \
  INSTANTIATE_TEST_SUITE_P(Backends, Suite,                                          \
                           ::testing::Values(::cambista::store::Backend::kSqlite,    \
                                             ::cambista::store::Backend::kPostgres), \
                           ::cambista::testing::BackendTestName)
