#include "store/migrations.hpp"

#include <algorithm>
#include <chrono>
#include <string>

namespace cambista::store {
namespace {

// Serializes migrators on PostgreSQL: pg_advisory_xact_lock on this key ("Cambista" in ASCII). The
// lock is per database, so migrators of different schemas in one database also wait for each other.
constexpr std::string_view kLockSql = "SELECT pg_advisory_xact_lock(4855412624467718241)";

constexpr std::string_view kCreateTableSql =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_ms BIGINT NOT NULL)";

void Validate(std::span<const Migration> migrations) {
  int previous = 0;
  for (const Migration& migration : migrations) {
    if (migration.version <= previous) {
      throw Error(Error::Kind::kOther, "migrations must have increasing positive versions; " +
                                           std::to_string(migration.version) + " comes after " +
                                           std::to_string(previous));
    }
    previous = migration.version;
  }
}

// Begins a write transaction that no other migrator runs alongside: SQLite's BEGIN IMMEDIATE takes
// the write lock; PostgreSQL also takes the advisory lock, released at commit or rollback.
void LockForMigration(Connection& connection) {
  if (connection.backend() == Backend::kPostgres) {
    connection.Query(kLockSql, {}, [](const Row&) {});
  }
}

bool TableExists(Connection& connection) {
  int64_t count = 0;
  const std::string_view sql =
      connection.backend() == Backend::kSqlite
          ? "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
          : "SELECT CASE WHEN to_regclass('schema_migrations') IS NULL THEN 0 ELSE 1 END";
  connection.Query(sql, {}, [&](const Row& row) { count = row.Int64(0); });
  return count > 0;
}

std::vector<int> AppliedVersions(Connection& connection) {
  std::vector<int> versions;
  connection.Query("SELECT version FROM schema_migrations ORDER BY version", {},
                   [&](const Row& row) { versions.push_back(static_cast<int>(row.Int64(0))); });
  return versions;
}

bool IsApplied(Connection& connection, int version) {
  bool applied = false;
  connection.Query("SELECT 1 FROM schema_migrations WHERE version = $1", {int64_t{version}},
                   [&](const Row&) { applied = true; });
  return applied;
}

bool IsKnown(std::span<const Migration> migrations, int version) {
  return std::any_of(migrations.begin(), migrations.end(),
                     [&](const Migration& migration) { return migration.version == version; });
}

// A database migrated by a newer binary must not be run by an older one: its code does not know
// the tables it would be writing.
void RefuseUnknownVersions(std::span<const Migration> migrations, const std::vector<int>& applied) {
  for (int version : applied) {
    if (IsKnown(migrations, version)) continue;
    const int known = migrations.empty() ? 0 : migrations.back().version;
    throw Error(Error::Kind::kOther,
                "the database schema is newer than this binary: it has migration " +
                    std::to_string(version) + ", and this binary knows migrations up to " +
                    std::to_string(known) + "; run a newer cambista");
  }
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

MigrationReport Migrate(Connection& connection, std::span<const Migration> migrations) {
  Validate(migrations);
  {
    Transaction transaction(connection, TransactionMode::kWrite);
    LockForMigration(connection);
    connection.ExecuteScript(kCreateTableSql);
    transaction.Commit();
  }
  const std::vector<int> applied_before = AppliedVersions(connection);
  RefuseUnknownVersions(migrations, applied_before);

  MigrationReport report;
  for (const Migration& migration : migrations) {
    if (std::find(applied_before.begin(), applied_before.end(), migration.version) !=
        applied_before.end()) {
      continue;
    }
    Transaction transaction(connection, TransactionMode::kWrite);
    LockForMigration(connection);
    // Another migrator may have applied it while this one waited for the lock.
    if (IsApplied(connection, migration.version)) continue;  // rolled back: nothing was written
    try {
      connection.ExecuteScript(connection.backend() == Backend::kSqlite ? migration.sqlite_sql
                                                                        : migration.postgres_sql);
      connection.Execute(
          "INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES ($1, $2, $3)",
          {int64_t{migration.version}, migration.name, NowMs()});
      transaction.Commit();
    } catch (const Error& error) {
      throw Error(error.kind(), "migration " + std::to_string(migration.version) + " (" +
                                    std::string(migration.name) + ") failed: " + error.what());
    }
    report.applied.push_back(migration.version);
  }
  connection.Query(
      "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", {},
      [&](const Row& row) { report.current_version = static_cast<int>(row.Int64(0)); });
  return report;
}

std::vector<int> PendingMigrations(Connection& connection, std::span<const Migration> migrations) {
  Validate(migrations);
  std::vector<int> applied;
  if (TableExists(connection)) applied = AppliedVersions(connection);
  RefuseUnknownVersions(migrations, applied);
  std::vector<int> pending;
  for (const Migration& migration : migrations) {
    if (std::find(applied.begin(), applied.end(), migration.version) == applied.end()) {
      pending.push_back(migration.version);
    }
  }
  return pending;
}

}  // namespace cambista::store
