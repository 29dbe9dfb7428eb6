// Versioned schema migrations: each module declares its own (<module>/schema.hpp), numbered in one
// sequence across modules, with its SQL for each backend; app/modules.hpp gathers them. `cambista
// migrate` and `serve` apply the pending ones, each in its own transaction, recording them in
// schema_migrations. Several processes may migrate at once: PostgreSQL serializes them with an
// advisory lock, SQLite with its write lock.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "store/database.hpp"

namespace cambista::store {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sqlite_sql;
  std::string_view postgres_sql;
};

struct MigrationReport {
  int current_version = 0;
  std::vector<int> applied;  // versions applied by this call
};

// `migrations` in version order (app::AllMigrations() for the product's).
MigrationReport Migrate(Connection& connection, std::span<const Migration> migrations);
// Versions known to the binary but not yet applied (empty when current).
std::vector<int> PendingMigrations(Connection& connection, std::span<const Migration> migrations);

}  // namespace cambista::store
