// What only the SQLite adapter does: placeholder rewriting, connection settings, opening errors.
#include "store/sqlite/sqlite_database.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "test_database.hpp"

namespace cambista::store::sqlite {
namespace {

TEST(RewritePlaceholdersTest, RewritesOnlyRealPlaceholders) {
  EXPECT_EQ(RewritePlaceholders("SELECT $1, $2 FROM t WHERE a = $10"),
            "SELECT ?1, ?2 FROM t WHERE a = ?10");
  EXPECT_EQ(RewritePlaceholders("SELECT '$1', 'it''s $2', \"$3\", [$4], `$5`, $6"),
            "SELECT '$1', 'it''s $2', \"$3\", [$4], `$5`, ?6");
  EXPECT_EQ(RewritePlaceholders("SELECT $1 -- $2\n, $3 /* $4 */ , a$5, $x"),
            "SELECT ?1 -- $2\n, ?3 /* $4 */ , a$5, $x");
  EXPECT_EQ(RewritePlaceholders("SELECT 'unterminated $1"), "SELECT 'unterminated $1");
  EXPECT_EQ(RewritePlaceholders("$1"), "?1");
  EXPECT_EQ(RewritePlaceholders(""), "");
}

TEST(SqliteDatabaseTest, ConnectionsAreConfigured) {
  auto test_database = testing::TestDatabase::Create(Backend::kSqlite, false);
  Options options;
  options.busy_timeout_ms = 1234;
  auto database = Open(test_database->url(), options);
  auto connection = database->Connect();
  auto pragma = [&](const std::string& name) {
    std::string value;
    connection->Query("PRAGMA " + name, {}, [&](const Row& row) { value = row.Text(0); });
    return value;
  };
  EXPECT_EQ(pragma("journal_mode"), "wal");
  EXPECT_EQ(pragma("synchronous"), "2");  // FULL
  EXPECT_EQ(pragma("foreign_keys"), "1");
  EXPECT_EQ(pragma("busy_timeout"), "1234");
  EXPECT_EQ(pragma("cache_size"), "-65536");
  EXPECT_EQ(pragma("temp_store"), "2");  // MEMORY
}

TEST(SqliteDatabaseTest, MissingDirectoryIsAClearError) {
  try {
    Open("sqlite:/nonexistent-cambista-dir/sub/x.db");
    ADD_FAILURE() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), Error::Kind::kConnection);
    EXPECT_NE(std::string(error.what()).find("/nonexistent-cambista-dir/sub"), std::string::npos)
        << error.what();
    EXPECT_NE(std::string(error.what()).find("does not exist"), std::string::npos);
  }
}

TEST(SqliteDatabaseTest, InMemoryDatabasesAreRefused) {
  EXPECT_THROW(Open("sqlite::memory:"), Error);
}

TEST(SqliteDatabaseTest, AFileThatIsNotADatabaseCannotBeOpened) {
  auto test_database = testing::TestDatabase::Create(Backend::kSqlite, false);
  const std::string path = test_database->url().substr(std::string_view("sqlite:").size());
  std::ofstream(path) << "this is not an SQLite database, not at all, no header here at all\n";
  try {
    Open(test_database->url())->Connect();
    ADD_FAILURE() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), Error::Kind::kConnection) << error.what();
  }
}

TEST(SqliteDatabaseTest, ForeignKeysAreEnforced) {
  auto test_database = testing::TestDatabase::Create(Backend::kSqlite, false);
  auto connection = test_database->db().Connect();
  connection->ExecuteScript(
      "CREATE TABLE parent (id INTEGER PRIMARY KEY);"
      "CREATE TABLE child (parent_id INTEGER REFERENCES parent (id))");
  try {
    connection->Execute("INSERT INTO child (parent_id) VALUES ($1)", {int64_t{7}});
    ADD_FAILURE() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), Error::Kind::kConstraint) << error.what();
  }
}

TEST(SqliteDatabaseTest, IntegersStoredAsTextReadBack) {
  auto test_database = testing::TestDatabase::Create(Backend::kSqlite, false);
  auto connection = test_database->db().Connect();
  connection->Query("SELECT '-17', 5", {}, [](const Row& row) {
    EXPECT_EQ(row.Int64(0), -17);
    EXPECT_TRUE(row.Int128(0) == -17);
    EXPECT_TRUE(row.Int128(1) == 5);
  });
}

}  // namespace
}  // namespace cambista::store::sqlite
