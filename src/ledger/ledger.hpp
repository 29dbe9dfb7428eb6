// The ledger service: accounts, transfers and their history, with group commit.
//
// Submitters hand in lists of transfers from any thread; a committer thread gathers everything
// submitted while the previous batch was being written into the next batch, applies it in arrival
// order in one database transaction, commits, and only then tells each submitter its own results.
// Many concurrent submitters therefore share one durable commit (one fsync), which is how the
// ledger goes past the disk's few thousand commits per second.
//
// SQLite: one committer (SQLite has one writer). It commits without waiting for the disk and hands
// the batch to a syncer thread, which makes everything committed so far durable with one fdatasync
// of the WAL and only then answers the submitters, while the committer already applies the next
// batch. Reads through this class wait for that sync too, so this process never shows what it has
// not made durable (another process reading the file directly may, for the length of one fsync).
// PostgreSQL: several committers on their own connections, and several processes may run a Ledger
// on the same database at once: rows are locked in a fixed order (no deadlocks), and a batch that
// loses a race (unique violation, serialization failure) is run again from the start.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <unordered_map>

#include "core/clock.hpp"
#include "ledger/batch_applier.hpp"
#include "ledger/types.hpp"
#include "store/database.hpp"

namespace cambista::ledger {

struct LedgerOptions {
  int batch_transfers_max = 8190;  // transfers per database transaction
  int expiry_interval_ms = 1000;   // how often the committer voids expired pending transfers
  int expiry_batch_max = 1000;     // pending transfers expired per transaction
  int conflict_retry_count_max = 16;
  // Threads committing batches at once, each on its own connection. 0: one on SQLite (a single
  // writer anyway), two on PostgreSQL (one batch commits while the next is applied). With more than
  // one, submissions in flight at the same time may be applied in any order.
  int committer_count = 0;
  int checkpoint_interval_ms = 200;      // SQLite: how often the WAL is copied into the database
  int history_index_interval_ms = 1000;  // SQLite: how often account history is indexed in bulk
  int balance_interval_ms = 200;         // SQLite: how often account balances are written (behind)
  size_t account_cache_max = 1'000'000;  // SQLite: accounts kept in memory by the committer
};

struct SubmitResult {
  std::vector<CreateTransferResult> results;  // one per transfer, in order
  std::string error;  // non-empty when the batch could not be made durable: nothing was written
  bool ok() const { return error.empty(); }
};

struct LedgerStats {
  std::atomic<uint64_t> batches{0};
  std::atomic<uint64_t> transfers_submitted{0};
  std::atomic<uint64_t> transfers_created{0};
  std::atomic<uint64_t> batch_retries{0};
  std::atomic<uint64_t> batch_failures{0};
  std::atomic<uint64_t> pending_expired{0};
};

class Ledger {
 public:
  using Callback = std::function<void(SubmitResult)>;

  Ledger(store::Database& database, const Clock& clock, LedgerOptions options = {});
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;
  // Finishes every submitted batch, then stops the committer.
  ~Ledger();

  // Creates accounts in one transaction (idempotent per id). Throws store::Error on I/O failure.
  std::vector<CreateAccountResult> CreateAccounts(std::span<const Account> accounts);

  // Queues a submission; `done` runs on the committer thread once its batch is durable (or failed):
  // keep it short. Linked chains never span submissions.
  void SubmitAsync(std::vector<Transfer> transfers, Callback done);
  // Blocks until the submission's batch is durable.
  SubmitResult Submit(std::vector<Transfer> transfers);

  // Applies one submission inside the caller's open write transaction on `tx` (not group
  // committed): for a state change whose ledger transfers, events and jobs must commit together.
  // Durable when the caller commits; nothing of it stays if the caller rolls back. Accounts are
  // read and locked on `tx` (the committer's cache notices the commit through data_version).
  // Throws store::Error like any statement; the caller may retry its whole transaction.
  std::vector<CreateTransferResult> SubmitInTransaction(store::Connection& tx,
                                                        std::span<const Transfer> transfers);

  // Voids every pending transfer whose timeout has passed by the clock's now; returns how many.
  // The committer also does this by itself every expiry_interval_ms.
  uint64_t ExpirePending();
  // SQLite: writes the balances of every transfer committed so far into ledger_accounts (reads
  // never need it: they add what is behind). The committer also does this every
  // balance_interval_ms, and once more when the ledger stops. No-op on PostgreSQL.
  void MaterializeBalances();

  std::optional<Account> LookupAccount(u128 id);
  std::optional<Transfer> LookupTransfer(u128 id);
  // History of an account, oldest first, after the (timestamp, id) cursor; {0, 0} starts at the
  // beginning.
  std::vector<Transfer> AccountTransfers(u128 account_id, int limit, int64_t after_timestamp = 0,
                                         u128 after_id = 0);

  const LedgerStats& stats() const { return stats_; }

 private:
  struct Request {
    std::vector<Transfer> transfers;
    Callback done;
    bool expire = false;  // an ExpirePending() call waiting for the committer
  };

  struct Committed {
    std::vector<Request> batch;
    std::vector<std::vector<CreateTransferResult>> results;
    std::string error;
  };

  // One committer thread with its connection (the only one it writes through).
  struct Committer {
    std::unique_ptr<store::Connection> connection;
    bool runs_maintenance = false;  // expiry and history indexing on a timer: the first committer
    std::thread thread;
  };

  void CommitterLoop(Committer& committer);
  // The maintenance committer's chores between batches: balances written behind (SQLite), history
  // indexed (SQLite), expired pending transfers voided; each when its interval has passed.
  void RunMaintenance(Committer& committer);
  void SyncerLoop();
  void CheckpointerLoop();
  void CommitBatch(Committer& committer, std::vector<Request>& batch);
  static void Deliver(Committed& committed);
  void WaitUntilDurable();
  void LoadAccounts(store::Connection& connection, std::span<const u128> ids,
                    BatchApplier& applier);
  std::vector<std::vector<CreateTransferResult>> ApplyBatch(Committer& committer,
                                                            std::vector<Request>& batch);
  // Applies submissions on `connection` inside its open transaction and writes them; with
  // `commit`, commits that transaction too (on PostgreSQL with the write, in one round trip).
  // With `written_accounts` (the committers), accounts come through the cache and the accounts
  // written are handed back for it; without, they are read and locked on `connection`.
  std::vector<std::vector<CreateTransferResult>> ApplyOn(
      store::Connection& connection, std::span<const std::span<const Transfer>> submissions,
      std::vector<Account>* written_accounts, store::Transaction* commit);
  uint64_t ExpireDue(Committer& committer);
  void IndexHistory(Committer& committer);
  void MaterializeBalances(Committer& committer);
  // Reserves `count` timestamps for a batch and returns the first. Timestamps are unique and grow
  // in the order batches start, across this process's committers (on SQLite also across processes).
  int64_t ReserveTimestamps(store::Connection& connection, size_t count);

  store::Database& database_;
  const Clock& clock_;
  LedgerOptions options_;
  LedgerStats stats_;

  std::mutex read_mutex_;
  std::unique_ptr<store::Connection> read_connection_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Request> queue_;
  bool stopping_ = false;
  std::mutex timestamp_mutex_;
  int64_t last_timestamp_ = 0;  // the last timestamp reserved; guarded by timestamp_mutex_
  int64_t next_expiry_ns_ = 0;  // maintenance committer only
  std::chrono::steady_clock::time_point next_history_index_;  // maintenance committer only
  std::chrono::steady_clock::time_point next_balances_;       // maintenance committer only
  // SQLite: between two changes of the database's data_version only the committer moves money,
  // so it keeps the accounts it has read, with their balances current (the rows are behind, see
  // LedgerStore::MaterializeBalances); any other writer's commit changes data_version and empties
  // the cache.
  std::unordered_map<u128, Account, U128Hash> account_cache_;  // the single SQLite committer
  std::optional<int64_t> account_cache_version_;               // the single SQLite committer

  // SQLite group commit: the committer commits without waiting for the disk and hands the batch to
  // the syncer, which makes everything committed so far durable with one fdatasync and only then
  // answers the submitters, while the committer already applies the next batch.
  std::unique_ptr<store::DeferredDurability> durability_;
  std::deque<Committed> syncing_;
  // Batches handed to the syncer, and made durable; reads wait until the second reaches the first,
  // so nothing this process reads is less durable than what it acknowledges (mutex_ guards both).
  uint64_t batches_committed_ = 0;
  uint64_t batches_durable_ = 0;
  std::condition_variable durable_wake_;
  std::condition_variable sync_wake_;
  std::condition_variable checkpoint_wake_;
  bool syncer_stopping_ = false;
  std::thread syncer_;
  std::thread checkpointer_;
  std::vector<std::unique_ptr<Committer>> committers_;
};

}  // namespace cambista::ledger
