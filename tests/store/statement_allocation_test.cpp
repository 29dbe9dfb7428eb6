// The hot path must not touch the heap: once a statement is prepared, running it again with Id,
// Int128, text and blob parameters and reading its rows allocates nothing through operator new.
// (SQLite and libpq allocate with malloc internally; that is theirs to manage.)
#include <gtest/gtest.h>

#include "allocation_counter.hpp"
#include "store/database.hpp"
#include "test_database.hpp"

namespace cambista::store {
namespace {

class StatementAllocationTest : public testing::DatabaseTest {};

TEST_P(StatementAllocationTest, PreparedStatementsRunWithoutAllocating) {
  constexpr int kRounds = 1000;
  auto connection = db().Connect();
  connection->ExecuteScript(GetParam() == Backend::kSqlite
                                ? "CREATE TABLE hot (k INTEGER PRIMARY KEY, id BLOB, n TEXT, "
                                  "s TEXT, b BLOB)"
                                : "CREATE TABLE hot (k bigint PRIMARY KEY, id uuid, "
                                  "n numeric(39,0), s text, b bytea)");
  constexpr std::string_view kInsert =
      "INSERT INTO hot (k, id, n, s, b) VALUES ($1, $2, $3, $4, $5)";
  constexpr std::string_view kSelect = "SELECT id, n, s FROM hot WHERE k = $1";
  const std::string_view text = "a text longer than the small-string buffer of std::string";
  const std::string_view blob("\0\x01\x02\x03", 4);
  int64_t checks = 0;
  auto run = [&](int64_t first, int rounds) {
    Transaction transaction(*connection, TransactionMode::kWrite);
    for (int64_t k = first; k < first + rounds; ++k) {
      connection->Execute(kInsert, {k, Id{kU128Max - static_cast<u128>(k)}, Int128{kI128Min + k},
                                    text, Blob{blob}});
      connection->Query(kSelect, {k}, [&checks, k](const Row& row) {
        if (row.Int128(1) == kI128Min + k && row.Id(0) == kU128Max - static_cast<u128>(k) &&
            !row.Text(2).empty()) {
          ++checks;
        }
      });
    }
    transaction.Commit();
  };
  run(0, 10);  // prepares the statements and sizes the buffers
  const long before = testing_allocations::AllocationsOnThisThread();
  run(10, kRounds);
  const long allocations = testing_allocations::AllocationsOnThisThread() - before;
  EXPECT_EQ(allocations, 0) << allocations << " operator new calls for " << kRounds
                            << " inserts and selects";
  EXPECT_EQ(checks, 10 + kRounds);
}

INSTANTIATE_BACKENDS(StatementAllocationTest);

}  // namespace
}  // namespace cambista::store
