// `cambista bench ledger --naive`: the baseline the ledger is measured against, run through the
// same store::Database: a naive double-entry transfer (two UPDATEs of balances and one INSERT), one
// durable transaction per transfer, from C threads with a connection each. It is the SQL of
// bench/naive_transfer.sql (pgbench's baseline on PostgreSQL), here so that SQLite has a baseline
// measured on the same disk in the same run.
//
// On SQLite each commit syncs the WAL (synchronous=FULL, store's default), and SQLite has one
// writer: the threads take a mutex of this process around each transaction, so they queue in the
// process instead of sleeping in SQLite's busy handler, which makes the baseline as fast as the
// disk's commits allow (the fsync-bound single-commit rate), not slower.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "app/bench_ledger.hpp"
#include "store/database.hpp"

namespace cambista::app {
namespace {

constexpr int64_t kNaiveAmountMax = 1'000'000;

void CreateNaiveTables(store::Database& database, uint64_t accounts) {
  auto connection = database.Connect();
  connection->ExecuteScript(
      "DROP TABLE IF EXISTS naive_transfers; DROP TABLE IF EXISTS naive_accounts;"
      "CREATE TABLE naive_accounts (id BIGINT PRIMARY KEY, debits BIGINT NOT NULL DEFAULT 0,"
      " credits BIGINT NOT NULL DEFAULT 0);"
      "CREATE TABLE naive_transfers (id BIGINT PRIMARY KEY, debit_account_id BIGINT NOT NULL,"
      " credit_account_id BIGINT NOT NULL, amount BIGINT NOT NULL);");
  store::Transaction transaction(*connection, store::TransactionMode::kWrite);
  for (uint64_t id = 1; id <= accounts; ++id) {
    connection->Execute("INSERT INTO naive_accounts (id) VALUES ($1)", {static_cast<int64_t>(id)});
  }
  transaction.Commit();
}

// One transfer as bench/naive_transfer.sql makes it: rows updated in id order (no deadlocks on
// PostgreSQL), then the transfer row.
void NaiveTransfer(store::Connection& connection, int64_t id, int64_t debit, int64_t credit,
                   int64_t amount) {
  static constexpr std::string_view kUpdate =
      "UPDATE naive_accounts SET debits = debits + CASE WHEN id = $2 THEN $4 ELSE 0 END, "
      "credits = credits + CASE WHEN id = $3 THEN $4 ELSE 0 END WHERE id = $1";
  store::Transaction transaction(connection, store::TransactionMode::kWrite);
  connection.Execute(kUpdate, {std::min(debit, credit), debit, credit, amount});
  connection.Execute(kUpdate, {std::max(debit, credit), debit, credit, amount});
  connection.Execute(
      "INSERT INTO naive_transfers (id, debit_account_id, credit_account_id, amount) "
      "VALUES ($1, $2, $3, $4)",
      {id, debit, credit, amount});
  transaction.Commit();
}

// Debits equal credits equal the amounts moved, and every transfer is there: the baseline did its
// work. Sums fit in 64 bits (amounts below 10^6, a few million transfers).
bool NaiveBalances(store::Database& database, uint64_t transfers) {
  auto connection = database.Connect();
  bool balanced = false;
  connection->Query(
      "SELECT (SELECT sum(debits) FROM naive_accounts), (SELECT sum(credits) FROM naive_accounts), "
      "(SELECT sum(amount) FROM naive_transfers), (SELECT count(*) FROM naive_transfers)",
      {}, [&](const store::Row& row) {
        balanced = row.Int64(0) == row.Int64(2) && row.Int64(1) == row.Int64(2) &&
                   row.Int64(3) == static_cast<int64_t>(transfers);
      });
  return balanced;
}

}  // namespace

int RunNaiveLedgerBench(const LedgerBenchOptions& options) {
  auto database = store::Open(options.database_url);
  CreateNaiveTables(*database, options.accounts);
  const bool one_writer = database->backend() == store::Backend::kSqlite;
  std::mutex writer;  // SQLite: the one writer's turn, taken in the process (see above)
  std::mutex next_mutex;
  uint64_t next = 0;
  std::vector<std::unique_ptr<store::Connection>> connections;
  for (int i = 0; i < options.concurrency; ++i) connections.push_back(database->Connect());
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int i = 0; i < options.concurrency; ++i) {
    threads.emplace_back([&, i] {
      std::mt19937_64 random(options.seed + static_cast<uint64_t>(i) + 1);
      std::uniform_int_distribution<int64_t> pick_account(1,
                                                          static_cast<int64_t>(options.accounts));
      std::uniform_int_distribution<int64_t> pick_amount(1, kNaiveAmountMax);
      for (;;) {
        int64_t id;
        {
          std::lock_guard lock(next_mutex);
          if (next >= options.transfers) return;
          id = static_cast<int64_t>(++next);
        }
        const int64_t debit = pick_account(random);
        int64_t credit = pick_account(random);
        if (credit == debit) credit = debit % static_cast<int64_t>(options.accounts) + 1;
        std::unique_lock lock(writer, std::defer_lock);
        if (one_writer) lock.lock();
        NaiveTransfer(*connections[i], id, debit, credit, pick_amount(random));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!NaiveBalances(*database, options.transfers)) {
    std::fprintf(stderr, "bench ledger --naive: the naive tables do not balance\n");
    return 1;
  }
  // Timing is reported, never asserted; a double is fine here (no money).
  std::printf(
      "{\"backend\":\"%s\",\"mode\":\"naive\",\"transfers\":%llu,\"concurrency\":%d,"
      "\"seconds\":%.3f,\"transfers_per_sec\":%.0f}\n",
      std::string(store::BackendName(database->backend())).c_str(),
      static_cast<unsigned long long>(options.transfers), options.concurrency, seconds,
      static_cast<double>(options.transfers) / seconds);
  return 0;
}

}  // namespace cambista::app
