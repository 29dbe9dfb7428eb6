// The store port, run against both backends: parameters and row accessors, transactions, error
// kinds, URLs, and two connections at once.
#include "store/database.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <optional>
#include <thread>
#include <vector>

#include "test_database.hpp"

namespace cambista::store {
namespace {

using namespace std::chrono_literals;

// A scratch table with one column of each kind the port maps.
void CreateKindsTable(Connection& connection) {
  if (connection.backend() == Backend::kSqlite) {
    connection.ExecuteScript(
        "CREATE TABLE kinds (k INTEGER PRIMARY KEY, i INTEGER, s TEXT, b BLOB, id BLOB, n TEXT)");
  } else {
    connection.ExecuteScript(
        "CREATE TABLE kinds (k bigint PRIMARY KEY, i bigint, s text, b bytea, id uuid, "
        "n numeric(39,0))");
  }
}

struct KindsRow {
  int64_t i = 0;
  std::string s;
  std::string b;
  u128 id = 0;
  i128 n = 0;
};

KindsRow ReadKinds(Connection& connection, int64_t k) {
  std::optional<KindsRow> found;
  connection.Query("SELECT i, s, b, id, n FROM kinds WHERE k = $1", {k}, [&](const Row& row) {
    EXPECT_EQ(row.ColumnCount(), 5);
    found =
        KindsRow{row.Int64(0), std::string(row.Text(1)), row.Bytes(2), row.Id(3), row.Int128(4)};
  });
  if (!found) ADD_FAILURE() << "no row " << k;
  return found.value_or(KindsRow{});
}

int64_t ReadI(Connection& connection, int64_t k) {
  int64_t value = -1;
  connection.Query("SELECT i FROM kinds WHERE k = $1", {k},
                   [&](const Row& row) { value = row.Int64(0); });
  return value;
}

int64_t CountRows(Connection& connection, std::string_view table) {
  int64_t count = -1;
  connection.Query("SELECT count(*) FROM " + std::string(table), {},
                   [&](const Row& row) { count = row.Int64(0); });
  return count;
}

// Runs body and returns the store::Error it throws (fails the test if none).
template <typename Body>
std::optional<Error> Catch(Body&& body) {
  try {
    body();
  } catch (const Error& error) {
    return error;
  }
  ADD_FAILURE() << "expected a store::Error";
  return std::nullopt;
}

class DatabasePortTest : public testing::DatabaseTest {};

TEST_P(DatabasePortTest, ReportsItsBackend) {
  auto connection = db().Connect();
  EXPECT_EQ(db().backend(), GetParam());
  EXPECT_EQ(connection->backend(), GetParam());
}

TEST_P(DatabasePortTest, RoundTripsEveryParamType) {
  auto connection = db().Connect();
  CreateKindsTable(*connection);
  const std::string binary("\0\x01\xff\0zero\0", 9);
  const std::string text = "héllo 'quoted' $1 ?1";
  constexpr std::string_view kInsert =
      "INSERT INTO kinds (k, i, s, b, id, n) VALUES ($1, $2, $3, $4, $5, $6)";
  EXPECT_EQ(connection->Execute(kInsert, {int64_t{1}, INT64_MAX, std::string_view(text),
                                          Blob{binary}, Id{kU128Max}, Int128{kI128Max}}),
            1);
  connection->Execute(
      kInsert, {int64_t{2}, INT64_MIN, std::string_view(""), Blob{""}, Id{0}, Int128{kI128Min}});
  const u128 mixed_id = (static_cast<u128>(0x0123456789abcdefULL) << 64) | 0xfedcba9876543210ULL;
  connection->Execute(kInsert, {int64_t{3}, int64_t{0}, std::string_view("x"),
                                Blob{std::string_view("\0", 1)}, Id{mixed_id}, Int128{-1}});
  connection->Execute(kInsert, {int64_t{4}, Null{}, Null{}, Null{}, Null{}, Null{}});

  const KindsRow first = ReadKinds(*connection, 1);
  EXPECT_EQ(first.i, INT64_MAX);
  EXPECT_EQ(first.s, text);
  EXPECT_EQ(first.b, binary);
  EXPECT_TRUE(first.id == kU128Max);
  EXPECT_TRUE(first.n == kI128Max);

  const KindsRow second = ReadKinds(*connection, 2);
  EXPECT_EQ(second.i, INT64_MIN);
  EXPECT_EQ(second.s, "");
  EXPECT_EQ(second.b, "");
  EXPECT_TRUE(second.id == 0);
  EXPECT_TRUE(second.n == kI128Min);

  const KindsRow third = ReadKinds(*connection, 3);
  EXPECT_EQ(third.b, std::string("\0", 1));
  EXPECT_TRUE(third.id == mixed_id);
  EXPECT_TRUE(third.n == -1);

  connection->Query("SELECT i, s, b, id, n FROM kinds WHERE k = 4", {}, [&](const Row& row) {
    for (int column = 0; column < 5; ++column) EXPECT_TRUE(row.IsNull(column)) << column;
    // Typed accessors refuse NULL, naming the column.
    auto expect_null_error = [&](auto read, int column) {
      const auto error = Catch([&] { read(column); });
      ASSERT_TRUE(error);
      EXPECT_EQ(error->kind(), Error::Kind::kOther);
      EXPECT_NE(std::string(error->what()).find("column " + std::to_string(column)),
                std::string::npos)
          << error->what();
    };
    expect_null_error([&](int c) { row.Int64(c); }, 0);
    expect_null_error([&](int c) { row.Text(c); }, 1);
    expect_null_error([&](int c) { row.Bytes(c); }, 2);
    expect_null_error([&](int c) { row.Id(c); }, 3);
    expect_null_error([&](int c) { row.Int128(c); }, 4);
    expect_null_error([&](int c) { row.Int64(c); }, 7);  // out of range
  });
}

TEST_P(DatabasePortTest, IdsSortLikeNumbers) {
  auto connection = db().Connect();
  CreateKindsTable(*connection);
  const std::vector<u128> ids = {
      kU128Max, 255, static_cast<u128>(1) << 64, 1, 0, static_cast<u128>(1) << 127, 256};
  int64_t k = 0;
  for (u128 id : ids) {
    connection->Execute("INSERT INTO kinds (k, id) VALUES ($1, $2)", {++k, Id{id}});
  }
  std::vector<u128> sorted;
  connection->Query("SELECT id FROM kinds ORDER BY id", {},
                    [&](const Row& row) { sorted.push_back(row.Id(0)); });
  std::vector<u128> expected = ids;
  std::sort(expected.begin(), expected.end());
  EXPECT_TRUE(sorted == expected);
  // And an Id parameter finds its row.
  int64_t found = 0;
  connection->Query("SELECT k FROM kinds WHERE id = $1", {Id{static_cast<u128>(1) << 64}},
                    [&](const Row& row) { found = row.Int64(0); });
  EXPECT_EQ(found, 3);
}

TEST_P(DatabasePortTest, MalformedValuesThrowWithTheColumn) {
  auto connection = db().Connect();
  connection->Query("SELECT 'abc', 'not-an-id', 42, '12x'", {}, [&](const Row& row) {
    for (auto read : {+[](const Row& r) { r.Int64(0); }, +[](const Row& r) { r.Int128(0); },
                      +[](const Row& r) { r.Id(1); }, +[](const Row& r) { r.Id(2); },
                      +[](const Row& r) { r.Int128(3); }}) {
      const auto error = Catch([&] { read(row); });
      ASSERT_TRUE(error);
      EXPECT_EQ(error->kind(), Error::Kind::kOther);
      EXPECT_NE(std::string(error->what()).find("column "), std::string::npos);
    }
    // An integer column is a valid Int128 (SQLite hands back INTEGER, PostgreSQL int4 text).
    EXPECT_TRUE(row.Int128(2) == 42);
    EXPECT_EQ(row.Int64(2), 42);
    EXPECT_EQ(row.Text(2), "42");
  });
}

TEST_P(DatabasePortTest, PlaceholdersMayRepeatAndComeInAnyOrder) {
  auto connection = db().Connect();
  std::vector<std::string> values;
  connection->Query("SELECT $2, '$1', $1, $2", {std::string_view("a"), std::string_view("b")},
                    [&](const Row& row) {
                      for (int c = 0; c < row.ColumnCount(); ++c) {
                        values.emplace_back(row.Text(c));
                      }
                    });
  EXPECT_EQ(values, (std::vector<std::string>{"b", "$1", "a", "b"}));
}

TEST_P(DatabasePortTest, ExecuteCountsChangedRows) {
  auto connection = db().Connect();
  CreateKindsTable(*connection);
  for (int64_t k = 1; k <= 3; ++k) {
    EXPECT_EQ(connection->Execute("INSERT INTO kinds (k, i) VALUES ($1, $2)", {k, k}), 1);
  }
  EXPECT_EQ(connection->Execute("UPDATE kinds SET i = i + 1"), 3);
  EXPECT_EQ(connection->Execute("UPDATE kinds SET i = 0 WHERE k = $1", {int64_t{99}}), 0);
  EXPECT_EQ(connection->Execute("SELECT k FROM kinds"), 0);
  EXPECT_EQ(connection->Execute("DELETE FROM kinds WHERE k >= $1", {int64_t{2}}), 2);
}

TEST_P(DatabasePortTest, WrongUseOfStatementsThrows) {
  auto connection = db().Connect();
  // Parameter count mismatch.
  EXPECT_TRUE(Catch([&] { connection->Execute("SELECT $1, $2", {int64_t{1}}); }));
  // Several statements belong in ExecuteScript.
  EXPECT_TRUE(Catch([&] { connection->Execute("SELECT 1; SELECT 2"); }));
  // Syntax error.
  EXPECT_TRUE(Catch([&] { connection->Execute("SELEKT 1"); }));
  // The connection still works afterwards.
  int64_t one = 0;
  connection->Query("SELECT 1", {}, [&](const Row& row) { one = row.Int64(0); });
  EXPECT_EQ(one, 1);
}

TEST_P(DatabasePortTest, QueryCallbacksMayQueryAgainAndMayThrow) {
  auto connection = db().Connect();
  CreateKindsTable(*connection);
  for (int64_t k = 1; k <= 3; ++k) {
    connection->Execute("INSERT INTO kinds (k, i) VALUES ($1, $2)", {k, k * 10});
  }
  constexpr std::string_view kByKey = "SELECT k, i FROM kinds WHERE k >= $1 ORDER BY k";
  int64_t inner_sum = 0;
  int outer_rows = 0;
  connection->Query(kByKey, {int64_t{1}}, [&](const Row& outer) {
    ++outer_rows;
    // The same SQL while the outer statement is still stepping.
    connection->Query(kByKey, {outer.Int64(0)},
                      [&](const Row& inner) { inner_sum += inner.Int64(1); });
  });
  EXPECT_EQ(outer_rows, 3);
  EXPECT_EQ(inner_sum, 60 + 50 + 30);

  struct Stop {};
  EXPECT_THROW(connection->Query(kByKey, {int64_t{1}}, [](const Row&) { throw Stop{}; }), Stop);
  int rows = 0;
  connection->Query(kByKey, {int64_t{2}}, [&](const Row&) { ++rows; });
  EXPECT_EQ(rows, 2);
}

TEST_P(DatabasePortTest, CommitKeepsAndRollbackDiscards) {
  auto connection = db().Connect();
  CreateKindsTable(*connection);
  connection->Begin(TransactionMode::kWrite);
  connection->Execute("INSERT INTO kinds (k) VALUES (1)");
  connection->Commit();
  connection->Begin(TransactionMode::kWrite);
  connection->Execute("INSERT INTO kinds (k) VALUES (2)");
  connection->Rollback();
  auto other = db().Connect();
  EXPECT_EQ(CountRows(*other, "kinds"), 1);
  // Rollback without a transaction is harmless.
  connection->Rollback();
  // A read transaction sees committed data.
  connection->Begin(TransactionMode::kRead);
  EXPECT_EQ(CountRows(*connection, "kinds"), 1);
  connection->Commit();
}

TEST_P(DatabasePortTest, TransactionRollsBackUnlessCommitted) {
  auto connection = db().Connect();
  CreateKindsTable(*connection);
  {
    Transaction transaction(*connection, TransactionMode::kWrite);
    transaction.connection().Execute("INSERT INTO kinds (k) VALUES (1)");
    transaction.Commit();
  }
  {
    Transaction transaction(*connection, TransactionMode::kWrite);
    connection->Execute("INSERT INTO kinds (k) VALUES (2)");
  }  // no Commit: rolled back
  try {
    Transaction transaction(*connection, TransactionMode::kWrite);
    connection->Execute("INSERT INTO kinds (k) VALUES (3)");
    throw std::runtime_error("abort");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(CountRows(*connection, "kinds"), 1);
  // The connection is usable for a new transaction.
  Transaction transaction(*connection, TransactionMode::kWrite);
  connection->Execute("INSERT INTO kinds (k) VALUES (4)");
  transaction.Commit();
  EXPECT_EQ(CountRows(*connection, "kinds"), 2);
}

TEST_P(DatabasePortTest, ConstraintViolationsHaveTheirOwnKind) {
  auto connection = db().Connect();
  connection->ExecuteScript(
      "CREATE TABLE named (k INTEGER PRIMARY KEY, v TEXT NOT NULL CHECK (length(v) < 5))");
  constexpr std::string_view kInsert = "INSERT INTO named (k, v) VALUES ($1, $2)";
  connection->Execute(kInsert, {int64_t{1}, std::string_view("one")});
  for (const auto& params :
       std::vector<std::vector<Param>>{{int64_t{1}, std::string_view("dup")},  // primary key
                                       {int64_t{2}, Null{}},                   // NOT NULL
                                       {int64_t{3}, std::string_view("too long")}}) {  // CHECK
    const auto error = Catch([&] { connection->Execute(kInsert, params); });
    ASSERT_TRUE(error);
    EXPECT_EQ(error->kind(), Error::Kind::kConstraint) << error->what();
  }
  // A unique violation inside a transaction leaves it to the caller to roll back.
  Transaction transaction(*connection, TransactionMode::kWrite);
  EXPECT_TRUE(Catch([&] { connection->Execute(kInsert, {int64_t{1}, std::string_view("x")}); }));
}

TEST_P(DatabasePortTest, SecondConnectionSeesCommittedWritesOnly) {
  auto writer = db().Connect();
  auto reader = db().Connect();
  CreateKindsTable(*writer);
  writer->Begin(TransactionMode::kWrite);
  writer->Execute("INSERT INTO kinds (k) VALUES (1)");
  EXPECT_EQ(CountRows(*reader, "kinds"), 0);
  writer->Commit();
  EXPECT_EQ(CountRows(*reader, "kinds"), 1);
}

// The second writer waits for the first (SQLite: on the busy timeout for the write lock;
// PostgreSQL: on the row lock) and then goes ahead.
TEST_P(DatabasePortTest, SecondWriterWaitsThenProceeds) {
  auto first = db().Connect();
  CreateKindsTable(*first);
  first->Execute("INSERT INTO kinds (k, i) VALUES (1, 0)");

  Options options;
  options.busy_timeout_ms = 10'000;
  auto second_database = Open(url(), options);
  auto second = second_database->Connect();

  first->Begin(TransactionMode::kWrite);
  first->Execute("UPDATE kinds SET i = i + 1 WHERE k = 1");
  std::atomic<bool> first_committed = false;
  auto waited = std::async(std::launch::async, [&] {
    const auto start = std::chrono::steady_clock::now();
    Transaction transaction(*second, TransactionMode::kWrite);
    second->Execute("UPDATE kinds SET i = i + 10 WHERE k = 1");
    transaction.Commit();
    EXPECT_TRUE(first_committed.load());
    return std::chrono::steady_clock::now() - start;
  });
  std::this_thread::sleep_for(300ms);
  first_committed = true;
  first->Commit();
  EXPECT_GE(waited.get(), 250ms);
  EXPECT_EQ(ReadI(*first, 1), 11);
}

// A writer that cannot get the lock in time gets a retryable error (SQLite: busy timeout;
// PostgreSQL: lock_timeout, SQLSTATE 55P03).
TEST_P(DatabasePortTest, LockTimeoutIsRetryable) {
  auto first = db().Connect();
  CreateKindsTable(*first);
  first->Execute("INSERT INTO kinds (k, i) VALUES (1, 0)");

  Options options;
  options.busy_timeout_ms = 100;
  auto second_database = Open(url(), options);
  auto second = second_database->Connect();
  if (GetParam() == Backend::kPostgres) second->ExecuteScript("SET lock_timeout = '100ms'");

  first->Begin(TransactionMode::kWrite);
  first->Execute("UPDATE kinds SET i = i + 1 WHERE k = 1");
  const auto error = Catch([&] {
    Transaction transaction(*second, TransactionMode::kWrite);
    second->Execute("UPDATE kinds SET i = i + 10 WHERE k = 1");
    transaction.Commit();
  });
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind(), Error::Kind::kRetryable) << error->what();
  first->Commit();
  // The loser retries and succeeds.
  Transaction transaction(*second, TransactionMode::kWrite);
  second->Execute("UPDATE kinds SET i = i + 10 WHERE k = 1");
  transaction.Commit();
  EXPECT_EQ(ReadI(*first, 1), 11);
}

TEST_P(DatabasePortTest, RedactedUrlHasNoPassword) {
  EXPECT_EQ(db().redacted_url().find("password"), std::string::npos);
  if (GetParam() == Backend::kSqlite) {
    EXPECT_EQ(db().redacted_url(), url());
  } else {
    auto database = Open("postgresql://cambista:s3cret@127.0.0.1:5432/db?sslmode=disable");
    EXPECT_EQ(database->redacted_url(),
              "postgresql://cambista:***@127.0.0.1:5432/db?sslmode=disable");
  }
}

INSTANTIATE_BACKENDS(DatabasePortTest);

// ---- URLs (no database needed) ----------------------------------------------------------------

TEST(OpenTest, RejectsUnknownUrlsClearlyWithoutEchoingPasswords) {
  for (const std::string_view url : {"mysql://root:hunter2@db/x", "", "sqlite",
                                     "sqlite:", "sqlite://", "postgresql:/x", "/tmp/x.db"}) {
    const auto error = Catch([&] { Open(url); });
    ASSERT_TRUE(error) << url;
    EXPECT_EQ(error->kind(), Error::Kind::kOther) << url;
    EXPECT_EQ(std::string(error->what()).find("hunter2"), std::string::npos) << error->what();
    EXPECT_NE(std::string(error->what()).find("sqlite:"), std::string::npos) << error->what();
  }
  const auto bad_parameter = Catch([] { Open("postgresql://u:hunter2@localhost/db?bogus=1"); });
  ASSERT_TRUE(bad_parameter);
  EXPECT_EQ(std::string(bad_parameter->what()).find("hunter2"), std::string::npos);
  EXPECT_NE(std::string(bad_parameter->what()).find("bogus"), std::string::npos)
      << bad_parameter->what();
}

TEST(OpenTest, AcceptsEveryDocumentedForm) {
  const auto directory = std::filesystem::temp_directory_path().string();
  EXPECT_EQ(Open("sqlite:" + directory + "/a.db")->backend(), Backend::kSqlite);
  EXPECT_EQ(Open("sqlite://" + directory + "/a.db")->backend(), Backend::kSqlite);
  EXPECT_EQ(Open("postgresql://localhost/db")->backend(), Backend::kPostgres);
  EXPECT_EQ(Open("postgres://localhost/db")->backend(), Backend::kPostgres);
  EXPECT_EQ(Open("sqlite://" + directory + "/a.db")->redacted_url(),
            "sqlite:" + directory + "/a.db");
}

TEST(OpenTest, BackendNames) {
  EXPECT_EQ(BackendName(Backend::kSqlite), "sqlite");
  EXPECT_EQ(BackendName(Backend::kPostgres), "postgresql");
}

}  // namespace
}  // namespace cambista::store
