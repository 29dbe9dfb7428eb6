// Schema migrations on both backends: from empty, twice, partly applied, concurrently, failing,
// and against a schema newer than the binary.
#include "store/migrations.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <barrier>
#include <thread>

#include "app/modules.hpp"
#include "test_database.hpp"

namespace cambista::store {
namespace {

using app::AllMigrations;

std::vector<int> AllVersions() {
  std::vector<int> versions;
  for (const Migration& migration : AllMigrations()) versions.push_back(migration.version);
  return versions;
}

int64_t CountMigrationRows(Connection& connection) {
  int64_t count = -1;
  connection.Query("SELECT count(*) FROM schema_migrations", {},
                   [&](const Row& row) { count = row.Int64(0); });
  return count;
}

bool TableExists(Connection& connection, std::string_view table) {
  try {
    connection.Query("SELECT count(*) FROM " + std::string(table), {}, [](const Row&) {});
    return true;
  } catch (const Error&) {
    return false;
  }
}

class MigrationsTest : public testing::DatabaseTest {
 protected:
  bool MigrateOnSetUp() const override { return false; }
};

TEST_P(MigrationsTest, AllMigrationsAreNumberedInOrder) {
  ASSERT_FALSE(AllMigrations().empty());
  int previous = 0;
  for (const Migration& migration : AllMigrations()) {
    EXPECT_GT(migration.version, previous);
    EXPECT_FALSE(migration.name.empty());
    EXPECT_FALSE(migration.sqlite_sql.empty());
    EXPECT_FALSE(migration.postgres_sql.empty());
    previous = migration.version;
  }
}

TEST_P(MigrationsTest, MigratesFromEmpty) {
  auto connection = db().Connect();
  EXPECT_EQ(PendingMigrations(*connection, AllMigrations()), AllVersions());
  EXPECT_FALSE(TableExists(*connection, "ledger_accounts"));

  const MigrationReport report = Migrate(*connection, AllMigrations());
  EXPECT_EQ(report.applied, AllVersions());
  EXPECT_EQ(report.current_version, AllVersions().back());
  EXPECT_TRUE(PendingMigrations(*connection, AllMigrations()).empty());
  for (const char* table : {"ledger_accounts", "ledger_transfers", "ledger_transfer_failures",
                            "ledger_pending", "jobs", "job_schedules"}) {
    EXPECT_TRUE(TableExists(*connection, table)) << table;
  }
  std::vector<std::string> names;
  connection->Query("SELECT version, name, applied_at_ms FROM schema_migrations ORDER BY version",
                    {}, [&](const Row& row) {
                      names.emplace_back(row.Text(1));
                      EXPECT_GT(row.Int64(2), 1'600'000'000'000);
                    });
  ASSERT_EQ(names.size(), AllMigrations().size());
  for (size_t i = 0; i < names.size(); ++i) EXPECT_EQ(names[i], AllMigrations()[i].name);
}

TEST_P(MigrationsTest, MigratingTwiceIsANoOp) {
  auto connection = db().Connect();
  Migrate(*connection, AllMigrations());
  const MigrationReport again = Migrate(*connection, AllMigrations());
  EXPECT_TRUE(again.applied.empty());
  EXPECT_EQ(again.current_version, AllVersions().back());
  EXPECT_EQ(CountMigrationRows(*connection), static_cast<int64_t>(AllMigrations().size()));
}

TEST_P(MigrationsTest, PendingListsWhatIsMissing) {
  auto connection = db().Connect();
  ASSERT_GE(AllMigrations().size(), 2u);
  const MigrationReport first = Migrate(*connection, AllMigrations().first(1));
  EXPECT_EQ(first.applied, std::vector<int>{AllVersions()[0]});
  const std::vector<int> all = AllVersions();
  const std::vector<int> rest(all.begin() + 1, all.end());
  EXPECT_EQ(PendingMigrations(*connection, AllMigrations()), rest);
  EXPECT_EQ(Migrate(*connection, AllMigrations()).applied, rest);
  EXPECT_TRUE(PendingMigrations(*connection, AllMigrations()).empty());
}

TEST_P(MigrationsTest, RefusesASchemaNewerThanTheBinary) {
  auto connection = db().Connect();
  Migrate(*connection, AllMigrations());
  connection->Execute(
      "INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (9999, 'future', 0)");
  for (auto call : {+[](Connection& c) { Migrate(c, AllMigrations()); },
                    +[](Connection& c) { PendingMigrations(c, AllMigrations()); }}) {
    try {
      call(*connection);
      ADD_FAILURE() << "expected an error";
    } catch (const Error& error) {
      EXPECT_NE(std::string(error.what()).find("newer than this binary"), std::string::npos)
          << error.what();
      EXPECT_NE(std::string(error.what()).find("9999"), std::string::npos) << error.what();
    }
  }
}

TEST_P(MigrationsTest, AFailingMigrationLeavesNothingBehind) {
  auto connection = db().Connect();
  const std::array migrations = {
      Migration{1, "good", "CREATE TABLE good (x INTEGER)", "CREATE TABLE good (x integer)"},
      Migration{2, "bad", "CREATE TABLE half (x INTEGER); CREATE TABLE half (x INTEGER)",
                "CREATE TABLE half (x integer); CREATE TABLE half (x integer)"},
  };
  try {
    Migrate(*connection, migrations);
    ADD_FAILURE() << "expected an error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("migration 2 (bad)"), std::string::npos)
        << error.what();
  }
  EXPECT_TRUE(TableExists(*connection, "good"));
  EXPECT_FALSE(TableExists(*connection, "half"));  // DDL rolled back with the transaction
  EXPECT_EQ(PendingMigrations(*connection, migrations), std::vector<int>{2});
}

TEST_P(MigrationsTest, ConcurrentMigratorsApplyEachMigrationOnce) {
  constexpr int kMigrators = 2;
  std::vector<std::unique_ptr<Connection>> connections;
  for (int i = 0; i < kMigrators; ++i) connections.push_back(db().Connect());
  std::vector<MigrationReport> reports(kMigrators);
  std::vector<std::string> failures(kMigrators);
  std::barrier start(kMigrators);
  std::vector<std::thread> threads;
  for (int i = 0; i < kMigrators; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      try {
        reports[static_cast<size_t>(i)] =
            Migrate(*connections[static_cast<size_t>(i)], AllMigrations());
      } catch (const std::exception& error) {
        failures[static_cast<size_t>(i)] = error.what();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::vector<int> applied;
  for (int i = 0; i < kMigrators; ++i) {
    EXPECT_EQ(failures[static_cast<size_t>(i)], "");
    EXPECT_EQ(reports[static_cast<size_t>(i)].current_version, AllVersions().back());
    applied.insert(applied.end(), reports[static_cast<size_t>(i)].applied.begin(),
                   reports[static_cast<size_t>(i)].applied.end());
  }
  std::sort(applied.begin(), applied.end());
  EXPECT_EQ(applied, AllVersions());  // every migration applied by exactly one of them
  EXPECT_EQ(CountMigrationRows(*connections[0]), static_cast<int64_t>(AllMigrations().size()));
}

INSTANTIATE_BACKENDS(MigrationsTest);

}  // namespace
}  // namespace cambista::store
