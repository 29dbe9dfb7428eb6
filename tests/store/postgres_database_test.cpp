// What only the PostgreSQL adapter does: URL redaction, session settings, aborted transactions.
#include "store/postgres/postgres_database.hpp"

#include <gtest/gtest.h>

#include "test_database.hpp"

namespace cambista::store::postgres {
namespace {

TEST(RedactUrlTest, HidesPasswords) {
  EXPECT_EQ(RedactUrl("postgresql://user:secret@host:5432/db"),
            "postgresql://user:***@host:5432/db");
  EXPECT_EQ(RedactUrl("postgres://user:p%40ss@host/db?sslmode=require&password=x&a=b"),
            "postgres://user:***@host/db?sslmode=require&password=***&a=b");
  EXPECT_EQ(RedactUrl("postgresql://user@host/db"), "postgresql://user@host/db");
  EXPECT_EQ(RedactUrl("postgresql://host:5432/db"), "postgresql://host:5432/db");
  EXPECT_EQ(RedactUrl("postgresql:///db?host=/tmp&password=y"),
            "postgresql:///db?host=/tmp&password=***");
}

TEST(PostgresDatabaseTest, ConnectionFailureIsAConnectionErrorWithoutThePassword) {
  Options options;
  options.connect_timeout_s = 2;
  auto database = Open("postgresql://cambista:hunter2@127.0.0.1:1/db", options);
  try {
    database->Connect();
    ADD_FAILURE() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), Error::Kind::kConnection);
    EXPECT_EQ(std::string(error.what()).find("hunter2"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("127.0.0.1"), std::string::npos) << error.what();
  }
}

class PostgresOnlyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::PostgresTestUrl()) {
      GTEST_SKIP() << "set " << testing::kPostgresUrlVariable << " to run PostgreSQL tests";
    }
    database_ = testing::TestDatabase::Create(Backend::kPostgres, false);
  }
  std::unique_ptr<testing::TestDatabase> database_;
};

TEST_F(PostgresOnlyTest, SessionSettingsComeFromOptionsAndTheUrl) {
  Options options;
  options.statement_timeout_ms = 150;
  auto connection = Open(database_->url(), options)->Connect();
  auto setting = [&](const char* sql) {
    std::string value;
    connection->Query(sql, {}, [&](const Row& row) { value = row.Text(0); });
    return value;
  };
  EXPECT_EQ(setting("SHOW application_name"), "cambista");
  EXPECT_EQ(setting("SHOW statement_timeout"), "150ms");
  EXPECT_EQ(setting("SELECT current_schema()").substr(0, 2), "t_");  // from the test URL
  try {
    connection->Execute("SELECT pg_sleep(2)");
    ADD_FAILURE() << "expected a timeout";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("57014"), std::string::npos) << error.what();
  }
}

TEST_F(PostgresOnlyTest, CommitAfterAFailedStatementSaysItRolledBack) {
  auto connection = database_->db().Connect();
  connection->ExecuteScript("CREATE TABLE t (k integer PRIMARY KEY)");
  connection->Begin(TransactionMode::kWrite);
  connection->Execute("INSERT INTO t (k) VALUES (1)");
  EXPECT_THROW(connection->Execute("INSERT INTO t (k) VALUES (1)"), Error);
  EXPECT_THROW(connection->Commit(), Error);
  int64_t count = -1;
  connection->Query("SELECT count(*) FROM t", {}, [&](const Row& row) { count = row.Int64(0); });
  EXPECT_EQ(count, 0);
}

TEST_F(PostgresOnlyTest, NumericWithZeroScaleAndByteaReadBack) {
  auto connection = database_->db().Connect();
  connection->Query(
      "SELECT 12.000::numeric, '\\x00ff'::bytea, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, "
      "1.5::numeric",
      {}, [](const Row& row) {
        EXPECT_TRUE(row.Int128(0) == 12);
        EXPECT_EQ(row.Bytes(1), std::string("\0\xff", 2));
        EXPECT_TRUE(row.Id(2) == *ParseHex128("a0eebc999c0b4ef8bb6d6bb9bd380a11"));
        EXPECT_THROW(row.Int128(3), Error);
      });
}

TEST_F(PostgresOnlyTest, TextWithANulByteIsRefused) {
  auto connection = database_->db().Connect();
  EXPECT_THROW(connection->Execute("SELECT $1::text", {std::string_view("a\0b", 3)}), Error);
}

}  // namespace
}  // namespace cambista::store::postgres
