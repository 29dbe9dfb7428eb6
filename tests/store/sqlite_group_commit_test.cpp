// SQLite group commit (store::Options::group_commit): many threads' write transactions batched on
// one writer connection must behave exactly as if each had committed alone: a commit is visible to
// every connection once Commit() returns, a rollback undoes its own transaction and nothing else, a
// failed statement inside a transaction leaves the rest of it, statements outside a transaction and
// connections that sync their own commits (the ledger's) take their turn too.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "store/database.hpp"
#include "test_database.hpp"

namespace cambista::store {
namespace {

constexpr int kThreads = 8;
constexpr int kTransactionsPerThread = 150;

class GroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Options options;
    options.group_commit = true;
    options.busy_timeout_ms = 10'000;
    test_database_ = testing::TestDatabase::Create(Backend::kSqlite, false, options);
    auto connection = db().Connect();
    connection->ExecuteScript(
        "CREATE TABLE items (id TEXT PRIMARY KEY, thread INTEGER NOT NULL);"
        "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);"
        "INSERT INTO counters (name, value) VALUES ('committed', 0)");
  }

  Database& db() { return test_database_->db(); }

  int64_t Count(Connection& connection, const std::string& sql) {
    int64_t count = -1;
    connection.Query(sql, {}, [&count](const Row& row) { count = row.Int64(0); });
    return count;
  }

  std::unique_ptr<testing::TestDatabase> test_database_;
};

TEST_F(GroupCommitTest, CommitsDoNotWaitForTheDiskInsideSqlite) {
  auto connection = db().Connect();
  std::string synchronous;
  connection->Query("PRAGMA synchronous", {},
                    [&synchronous](const Row& row) { synchronous = row.Text(0); });
  EXPECT_EQ(synchronous, "1");  // NORMAL: the group's shared fdatasync makes commits durable
}

// Each thread runs transactions that insert an item and bump a shared counter; every 5th rolls
// back after writing, every 3rd hits a unique violation it catches and then commits the rest.
// Right after each Commit() returns, another connection must see the item.
TEST_F(GroupCommitTest, ConcurrentTransactionsCommitAndRollBackAlone) {
  std::atomic<int> invisible{0};
  std::atomic<int> unexpected{0};
  auto work = [&](int thread) {
    auto connection = db().Connect();
    auto reader = db().Connect();
    for (int i = 0; i < kTransactionsPerThread; ++i) {
      const std::string id = std::to_string(thread) + ":" + std::to_string(i);
      Transaction tx(*connection, TransactionMode::kWrite);
      connection->Execute("INSERT INTO items (id, thread) VALUES ($1, $2)",
                          {std::string_view(id), int64_t{thread}});
      connection->Execute("UPDATE counters SET value = value + 1 WHERE name = 'committed'");
      if (i % 3 == 0) {
        try {
          connection->Execute("INSERT INTO items (id, thread) VALUES ($1, $2)",
                              {std::string_view(id), int64_t{thread}});
          ++unexpected;
        } catch (const Error& error) {
          if (error.kind() != Error::Kind::kConstraint) ++unexpected;
        }
      }
      if (i % 5 == 0) continue;  // rolled back when tx goes out of scope
      tx.Commit();
      int64_t seen = 0;
      reader->Query("SELECT COUNT(*) FROM items WHERE id = $1", {std::string_view(id)},
                    [&seen](const Row& row) { seen = row.Int64(0); });
      if (seen != 1) ++invisible;
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(work, t);
  for (auto& thread : threads) thread.join();

  EXPECT_EQ(invisible.load(), 0);
  EXPECT_EQ(unexpected.load(), 0);
  const int64_t committed_per_thread = kTransactionsPerThread - (kTransactionsPerThread + 4) / 5;
  auto connection = db().Connect();
  EXPECT_EQ(Count(*connection, "SELECT COUNT(*) FROM items"), kThreads * committed_per_thread);
  EXPECT_EQ(Count(*connection, "SELECT value FROM counters WHERE name = 'committed'"),
            kThreads * committed_per_thread);
  EXPECT_EQ(Count(*connection,
                  "SELECT COUNT(*) FROM items WHERE CAST(substr(id, instr(id, ':') "
                  "+ 1) AS INTEGER) % 5 = 0"),
            0);
}

TEST_F(GroupCommitTest, ATransactionReadsItsOwnWritesAndNotThoseOfOpenOnes) {
  auto writer = db().Connect();
  auto reader = db().Connect();
  Transaction tx(*writer, TransactionMode::kWrite);
  writer->Execute("INSERT INTO items (id, thread) VALUES ('a', 1)");
  EXPECT_EQ(Count(*writer, "SELECT COUNT(*) FROM items"), 1);
  EXPECT_EQ(Count(*reader, "SELECT COUNT(*) FROM items"), 0);  // not committed yet
  // A query whose rows run further statements of the same transaction.
  int64_t copied = 0;
  writer->Query("SELECT id FROM items", {}, [&](const Row& row) {
    copied += writer->Execute("INSERT INTO counters (name, value) VALUES ($1, 1)",
                              {std::string(row.Text(0))});
  });
  EXPECT_EQ(copied, 1);
  tx.Commit();
  EXPECT_EQ(Count(*reader, "SELECT COUNT(*) FROM items"), 1);
  EXPECT_EQ(Count(*reader, "SELECT COUNT(*) FROM counters WHERE name = 'a'"), 1);
}

// Statements outside a transaction and connections that defer their durability (the ledger's
// committer) write on their own connections, taking the turn between the group's transactions.
TEST_F(GroupCommitTest, StatementsAloneAndDeferredConnectionsTakeTheirTurn) {
  std::atomic<int> failures{0};
  std::thread grouped([&] {
    auto connection = db().Connect();
    for (int i = 0; i < 200; ++i) {
      Transaction tx(*connection, TransactionMode::kWrite);
      connection->Execute("INSERT INTO items (id, thread) VALUES ($1, 1)",
                          {"g" + std::to_string(i)});
      tx.Commit();
    }
  });
  std::thread alone([&] {
    auto connection = db().Connect();
    for (int i = 0; i < 200; ++i) {
      if (connection->Execute("INSERT INTO items (id, thread) VALUES ($1, 2)",
                              {"a" + std::to_string(i)}) != 1) {
        ++failures;
      }
    }
  });
  std::thread deferred([&] {
    auto connection = db().Connect();
    auto durability = connection->DeferDurability();
    for (int i = 0; i < 200; ++i) {
      Transaction tx(*connection, TransactionMode::kWrite);
      connection->Execute("INSERT INTO items (id, thread) VALUES ($1, 3)",
                          {"d" + std::to_string(i)});
      tx.Commit();
      durability->SyncCommitted();
    }
  });
  grouped.join();
  alone.join();
  deferred.join();
  EXPECT_EQ(failures.load(), 0);
  auto connection = db().Connect();
  for (int thread = 1; thread <= 3; ++thread) {
    EXPECT_EQ(
        Count(*connection, "SELECT COUNT(*) FROM items WHERE thread = " + std::to_string(thread)),
        200);
  }
}

TEST_F(GroupCommitTest, AWriterWaitingPastTheBusyTimeoutGetsARetryableError) {
  Options options;
  options.group_commit = true;
  options.busy_timeout_ms = 50;
  auto database = Open(test_database_->url(), options);
  auto holder = database->Connect();
  auto waiter = database->Connect();
  Transaction held(*holder, TransactionMode::kWrite);
  holder->Execute("INSERT INTO items (id, thread) VALUES ('held', 1)");
  try {
    Transaction tx(*waiter, TransactionMode::kWrite);
    ADD_FAILURE() << "the second writer did not wait for the first";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), Error::Kind::kRetryable) << error.what();
  }
  held.Commit();
  Transaction tx(*waiter, TransactionMode::kWrite);  // free again
  waiter->Execute("INSERT INTO items (id, thread) VALUES ('after', 2)");
  tx.Commit();
  EXPECT_EQ(Count(*waiter, "SELECT COUNT(*) FROM items"), 2);
}

TEST_F(GroupCommitTest, AReadTransactionSeesOneSnapshot) {
  auto reader = db().Connect();
  auto writer = db().Connect();
  writer->Execute("INSERT INTO items (id, thread) VALUES ('first', 1)");
  Transaction snapshot(*reader, TransactionMode::kRead);
  EXPECT_EQ(Count(*reader, "SELECT COUNT(*) FROM items"), 1);
  {
    Transaction tx(*writer, TransactionMode::kWrite);
    writer->Execute("INSERT INTO items (id, thread) VALUES ('second', 1)");
    tx.Commit();
  }
  EXPECT_EQ(Count(*reader, "SELECT COUNT(*) FROM items"), 1);
  snapshot.Commit();
  EXPECT_EQ(Count(*reader, "SELECT COUNT(*) FROM items"), 2);
}

}  // namespace
}  // namespace cambista::store
