// Versioned schema migrations. Every table of Cambista is created here, one numbered migration at a
// time, with its SQL for each backend. `cambista migrate` (and later `serve`) applies the pending
// ones, each in its own transaction, recording them in schema_migrations. Several processes may
// migrate at once: PostgreSQL serializes them with an advisory lock, SQLite with its write lock.
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

// Every migration of the product, in version order.
std::span<const Migration> AllMigrations();

struct MigrationReport {
  int current_version = 0;
  std::vector<int> applied;  // versions applied by this call
};

MigrationReport Migrate(Connection& connection,
                        std::span<const Migration> migrations = AllMigrations());
// Versions known to the binary but not yet applied (empty when current).
std::vector<int> PendingMigrations(Connection& connection,
                                   std::span<const Migration> migrations = AllMigrations());

}  // namespace cambista::store
