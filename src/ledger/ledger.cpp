#include "ledger/ledger.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <map>
#include <unordered_set>

#include "core/assert.hpp"
#include "ledger/batch_applier.hpp"
#include "ledger/ledger_store.hpp"

namespace cambista::ledger {
namespace {

using store::TransactionMode;

void SortUnique(std::vector<u128>& ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
}

// The money invariant of every batch: per asset, what it adds to debits equals what it adds to
// credits, for posted and pending amounts alike (sums taken modulo 2^128, which is exact here
// because every balance stays below 2^128).
struct BalancesBefore {
  u128 debits_pending, debits_posted, credits_pending, credits_posted;
};
using Snapshot = std::unordered_map<u128, BalancesBefore, U128Hash>;

Snapshot TakeSnapshot(const BatchApplier& applier) {
  Snapshot snapshot;
  snapshot.reserve(applier.accounts.size());
  for (const auto& [id, a] : applier.accounts) {
    snapshot.emplace(
        id, BalancesBefore{a.debits_pending, a.debits_posted, a.credits_pending, a.credits_posted});
  }
  return snapshot;
}

void CheckBatchBalances(const BatchApplier& applied, const Snapshot& before) {
  struct Sums {
    u128 debits_pending = 0, debits_posted = 0, credits_pending = 0, credits_posted = 0;
  };
  std::map<std::string_view, Sums> by_asset;
  for (u128 id : applied.dirty_accounts) {
    const Account& now = applied.accounts.at(id);
    const BalancesBefore& then = before.at(id);
    Sums& sums = by_asset[now.asset];
    sums.debits_pending += now.debits_pending - then.debits_pending;
    sums.debits_posted += now.debits_posted - then.debits_posted;
    sums.credits_pending += now.credits_pending - then.credits_pending;
    sums.credits_posted += now.credits_posted - then.credits_posted;
  }
  for (const auto& [asset, sums] : by_asset) {
    CAMBISTA_CHECK(sums.debits_pending == sums.credits_pending);
    CAMBISTA_CHECK(sums.debits_posted == sums.credits_posted);
  }
}

bool IsRetryable(const store::Error& error, store::Backend backend) {
  // On PostgreSQL a unique violation means another process created the same id first: rerun the
  // batch and it will see "exists".
  return error.kind() == store::Error::Kind::kRetryable ||
         (backend == store::Backend::kPostgres && error.kind() == store::Error::Kind::kConstraint);
}

}  // namespace

Ledger::Ledger(store::Database& database, const Clock& clock, LedgerOptions options)
    : database_(database), clock_(clock), options_(options), read_connection_(database.Connect()) {
  const bool postgres = database.backend() == store::Backend::kPostgres;
  const int committer_count =
      postgres ? (options_.committer_count > 0 ? options_.committer_count : 2) : 1;
  for (int i = 0; i < committer_count; ++i) {
    auto committer = std::make_unique<Committer>();
    committer->connection = database.Connect();
    committer->runs_maintenance = i == 0;
    if (postgres) {
      // The batch statements look rows up by arrays of ids. With the default random_page_cost (4,
      // for spinning disks) the planner scans small tables sequentially instead; on SSDs index
      // lookups are the right plan, and they keep a batch's cost independent of the table's size.
      committer->connection->Execute("SET random_page_cost = 1.1");
    }
    committers_.push_back(std::move(committer));
  }
  durability_ = committers_.front()->connection->DeferDurability();
  next_expiry_ns_ = clock_.NowNs();
  if (durability_) {
    syncer_ = std::thread([this] { SyncerLoop(); });
    checkpointer_ = std::thread([this] { CheckpointerLoop(); });
  }
  for (auto& committer : committers_) {
    committer->thread = std::thread([this, &committer = *committer] { CommitterLoop(committer); });
  }
}

Ledger::~Ledger() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  // Every submitted batch is committed (and handed to the syncer) before a committer returns.
  for (auto& committer : committers_) committer->thread.join();
  {
    std::lock_guard lock(mutex_);
    syncer_stopping_ = true;
  }
  sync_wake_.notify_all();
  checkpoint_wake_.notify_all();
  if (syncer_.joinable()) syncer_.join();
  if (checkpointer_.joinable()) checkpointer_.join();
}

void Ledger::Deliver(Committed& committed) {
  for (size_t i = 0; i < committed.batch.size(); ++i) {
    SubmitResult result;
    if (committed.error.empty()) {
      result.results = std::move(committed.results[i]);
    } else {
      result.error = committed.error;
    }
    committed.batch[i].done(std::move(result));
  }
}

void Ledger::SyncerLoop() {
  for (;;) {
    std::deque<Committed> ready;
    {
      std::unique_lock lock(mutex_);
      sync_wake_.wait(lock, [this] { return syncer_stopping_ || !syncing_.empty(); });
      if (syncing_.empty()) return;
      ready.swap(syncing_);
    }
    try {
      durability_->SyncCommitted();
    } catch (const std::exception& error) {
      // The disk refused to confirm writes: what is durable is unknown, so no answer can be given
      // honestly. Stop here, as PostgreSQL does on a failed fsync; a restart recovers from the WAL.
      std::fprintf(stderr, "cambista: ledger: cannot make commits durable: %s\n", error.what());
      std::abort();
    }
    {
      std::lock_guard lock(mutex_);
      batches_durable_ += ready.size();
    }
    durable_wake_.notify_all();
    for (Committed& committed : ready) Deliver(committed);
  }
}

void Ledger::CheckpointerLoop() {
  std::unique_ptr<store::Connection> connection;
  std::unique_lock lock(mutex_);
  while (!syncer_stopping_) {
    checkpoint_wake_.wait_for(lock, std::chrono::milliseconds(options_.checkpoint_interval_ms));
    if (syncer_stopping_) break;
    lock.unlock();
    try {
      if (!connection) connection = database_.Connect();
      connection->Checkpoint();
    } catch (const std::exception&) {
      // A checkpoint that fails (or a connection that cannot be opened) is retried at the next
      // interval; the WAL keeps every commit meanwhile.
      connection.reset();
    }
    lock.lock();
  }
}

std::vector<CreateAccountResult> Ledger::CreateAccounts(std::span<const Account> accounts) {
  using R = CreateAccountResult;
  std::vector<R> results(accounts.size(), R::kOk);
  std::lock_guard lock(read_mutex_);
  store::Connection& connection = *read_connection_;
  for (int attempt = 0;; ++attempt) {
    try {
      store::Transaction transaction(connection, TransactionMode::kWrite);
      int64_t timestamp = clock_.NowNs();
      for (size_t i = 0; i < accounts.size(); ++i) {
        const Account& a = accounts[i];
        R& result = results[i];
        if ((a.flags & ~AccountFlags::kKnown) != 0)
          result = R::kReservedFlag;
        else if (a.id == 0)
          result = R::kIdMustNotBeZero;
        else if (a.id == kU128Max)
          result = R::kIdMustNotBeIntMax;
        else if ((a.flags & AccountFlags::kKnown) == AccountFlags::kKnown)
          result = R::kFlagsAreMutuallyExclusive;
        else if (!IsValidAssetCode(a.asset))
          result = R::kAssetInvalid;
        else if (a.code == 0)
          result = R::kCodeMustNotBeZero;
        else if (a.code > 0xFFFF)
          result = R::kCodeOutOfRange;
        else if (auto existing = LedgerStore::FindStoredAccount(connection, a.id)) {
          if (existing->flags != a.flags)
            result = R::kExistsWithDifferentFlags;
          else if (existing->user_data_128 != a.user_data_128)
            result = R::kExistsWithDifferentUserData128;
          else if (existing->user_data_64 != a.user_data_64)
            result = R::kExistsWithDifferentUserData64;
          else if (existing->user_data_32 != a.user_data_32)
            result = R::kExistsWithDifferentUserData32;
          else if (existing->asset != a.asset)
            result = R::kExistsWithDifferentAsset;
          else if (existing->code != a.code)
            result = R::kExistsWithDifferentCode;
          else
            result = R::kExists;
        } else {
          Account stored = a;
          stored.debits_pending = stored.debits_posted = 0;
          stored.credits_pending = stored.credits_posted = 0;
          stored.timestamp = timestamp++;
          LedgerStore::InsertAccount(connection, stored);
          result = R::kOk;
        }
      }
      transaction.Commit();
      return results;
    } catch (const store::Error& error) {
      if (!IsRetryable(error, connection.backend()) ||
          attempt >= options_.conflict_retry_count_max) {
        throw;
      }
    }
  }
}

void Ledger::SubmitAsync(std::vector<Transfer> transfers, Callback done) {
  stats_.transfers_submitted.fetch_add(transfers.size(), std::memory_order_relaxed);
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(Request{std::move(transfers), std::move(done)});
  }
  wake_.notify_one();
}

SubmitResult Ledger::Submit(std::vector<Transfer> transfers) {
  // Shared, so the promise outlives a callback that is still returning after the waiter woke.
  auto promise = std::make_shared<std::promise<SubmitResult>>();
  auto future = promise->get_future();
  SubmitAsync(std::move(transfers),
              [promise](SubmitResult result) { promise->set_value(std::move(result)); });
  return future.get();
}

uint64_t Ledger::ExpirePending() {
  auto promise = std::make_shared<std::promise<SubmitResult>>();
  auto future = promise->get_future();
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(
        Request{{}, [promise](SubmitResult r) { promise->set_value(std::move(r)); }, true});
  }
  wake_.notify_one();
  SubmitResult result = future.get();
  if (!result.ok()) throw store::Error(store::Error::Kind::kOther, result.error);
  return result.results.size();
}

void Ledger::CommitterLoop(Committer& committer) {
  std::vector<Request> batch;
  for (;;) {
    bool expire_now = false;
    {
      std::unique_lock lock(mutex_);
      // Idle, the committer still wakes for its maintenance: expiry, and on SQLite the balances
      // (in the server most transfers come through SubmitInTransaction, not this queue).
      const int idle_ms = committer.connection->backend() == store::Backend::kSqlite
                              ? std::min(options_.expiry_interval_ms, options_.balance_interval_ms)
                              : options_.expiry_interval_ms;
      wake_.wait_for(lock, std::chrono::milliseconds(idle_ms),
                     [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) break;
      size_t transfer_count = 0;
      while (!queue_.empty()) {
        Request& next = queue_.front();
        if (next.expire) {
          if (!batch.empty()) break;  // finish the transfers first, keeping arrival order
          expire_now = true;
          batch.push_back(std::move(next));
          queue_.pop_front();
          break;
        }
        if (!batch.empty() && transfer_count + next.transfers.size() >
                                  static_cast<size_t>(options_.batch_transfers_max)) {
          break;
        }
        transfer_count += next.transfers.size();
        batch.push_back(std::move(next));
        queue_.pop_front();
      }
    }
    if (expire_now) {
      SubmitResult result;
      try {
        const uint64_t expired = ExpireDue(committer);
        result.results.assign(expired, CreateTransferResult::kOk);
      } catch (const std::exception& error) {
        result.error = error.what();
      }
      batch.front().done(std::move(result));
      batch.clear();
      continue;
    }
    if (!batch.empty()) {
      CommitBatch(committer, batch);
      batch.clear();
    }
    if (committer.runs_maintenance) RunMaintenance(committer);
  }
  if (committer.runs_maintenance) MaterializeBalances(committer);  // leave the rows current
}

void Ledger::RunMaintenance(Committer& committer) {
  if (std::chrono::steady_clock::now() >= next_balances_) {
    MaterializeBalances(committer);
    next_balances_ =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.balance_interval_ms);
  }
  if (durability_ && std::chrono::steady_clock::now() >= next_history_index_) {
    IndexHistory(committer);
    next_history_index_ = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(options_.history_index_interval_ms);
  }
  if (clock_.NowNs() >= next_expiry_ns_) {
    try {
      ExpireDue(committer);
    } catch (const std::exception&) {
      // Retried at the next interval; pending transfers past their timeout are already refused.
    }
    next_expiry_ns_ = clock_.NowNs() + int64_t{options_.expiry_interval_ms} * 1'000'000;
  }
}

int64_t Ledger::ReserveTimestamps(store::Connection& connection, size_t count) {
  std::lock_guard lock(timestamp_mutex_);
  // On SQLite another process may have written since our last batch (we hold the write lock now).
  if (connection.backend() == store::Backend::kSqlite || last_timestamp_ == 0) {
    last_timestamp_ = std::max(last_timestamp_, LedgerStore::LastTimestamp(connection));
  }
  const int64_t first = std::max(clock_.NowNs(), last_timestamp_ + 1);
  last_timestamp_ = first + static_cast<int64_t>(count);
  return first;
}

std::vector<std::vector<CreateTransferResult>> Ledger::ApplyBatch(Committer& committer,
                                                                  std::vector<Request>& batch) {
  store::Connection& connection = *committer.connection;
  store::Transaction transaction(connection, TransactionMode::kWrite);
  std::vector<std::span<const Transfer>> submissions;
  submissions.reserve(batch.size());
  for (const Request& request : batch) submissions.emplace_back(request.transfers);
  std::vector<Account> written;
  auto results = ApplyOn(connection, submissions, &written, &transaction);
  if (account_cache_version_) {
    for (Account& account : written) account_cache_[account.id] = std::move(account);
  }
  return results;
}

std::vector<CreateTransferResult> Ledger::SubmitInTransaction(store::Connection& tx,
                                                              std::span<const Transfer> transfers) {
  const std::span<const Transfer> submission[] = {transfers};
  return std::move(ApplyOn(tx, submission, nullptr, nullptr).front());
}

namespace {

// The ids a batch reads, each list sorted and unique (LedgerStore::BatchReads).
struct BatchIds {
  std::vector<u128> transfer_ids;  // of the transfers submitted
  std::vector<u128> pending_ids;   // the pending transfers they post or void
  std::vector<u128> lookup_ids;    // both
  std::vector<u128> account_ids;   // the accounts the transfers name (not the pending ones')
};

BatchIds CollectIds(std::span<const std::span<const Transfer>> submissions) {
  BatchIds ids;
  for (const auto& transfers : submissions) {
    for (const Transfer& t : transfers) {
      ids.transfer_ids.push_back(t.id);
      if (t.pending_id != 0) ids.pending_ids.push_back(t.pending_id);
      if (t.debit_account_id != 0) ids.account_ids.push_back(t.debit_account_id);
      if (t.credit_account_id != 0) ids.account_ids.push_back(t.credit_account_id);
    }
  }
  SortUnique(ids.transfer_ids);
  SortUnique(ids.pending_ids);
  SortUnique(ids.account_ids);
  ids.lookup_ids.reserve(ids.transfer_ids.size() + ids.pending_ids.size());
  ids.lookup_ids = ids.transfer_ids;
  ids.lookup_ids.insert(ids.lookup_ids.end(), ids.pending_ids.begin(), ids.pending_ids.end());
  SortUnique(ids.lookup_ids);
  return ids;
}

}  // namespace

std::vector<std::vector<CreateTransferResult>> Ledger::ApplyOn(
    store::Connection& connection, std::span<const std::span<const Transfer>> submissions,
    std::vector<Account>* written_accounts, store::Transaction* commit) {
  const int64_t now_ns = clock_.NowNs();
  size_t event_count = 0;  // each event takes at most one timestamp (created, or failed)
  for (const auto& transfers : submissions) event_count += transfers.size();
  const int64_t first_timestamp = ReserveTimestamps(connection, event_count);
  BatchApplier applier(first_timestamp);

  BatchIds ids = CollectIds(submissions);
  // PostgreSQL reads (and locks) the accounts with the rest, in one round trip, when it knows
  // them all now: unless a post or void names a pending transfer, whose accounts it must read
  // first.
  const bool accounts_now =
      ids.pending_ids.empty() && connection.backend() == store::Backend::kPostgres;
  LedgerStore::Load(
      connection,
      {ids.transfer_ids, ids.pending_ids, ids.lookup_ids,
       accounts_now ? std::span<const u128>(ids.account_ids) : std::span<const u128>()},
      applier);
  if (!accounts_now) {
    for (u128 pending_id : ids.pending_ids) {
      if (auto it = applier.transfers.find(pending_id); it != applier.transfers.end()) {
        ids.account_ids.push_back(it->second.debit_account_id);
        ids.account_ids.push_back(it->second.credit_account_id);
      }
    }
    SortUnique(ids.account_ids);
    if (written_accounts) {
      LoadAccounts(connection, ids.account_ids, applier);
    } else {
      LedgerStore::LockAccounts(connection, ids.account_ids, applier);
    }
  }
  const Snapshot before = TakeSnapshot(applier);

  std::vector<std::vector<CreateTransferResult>> results;
  results.reserve(submissions.size());
  for (const auto& transfers : submissions) results.push_back(applier.Apply(transfers, now_ns));
  CheckBatchBalances(applier, before);
  CAMBISTA_CHECK(applier.next_timestamp() <= first_timestamp + static_cast<int64_t>(event_count));
  LedgerStore::Write(connection, applier, commit);
  if (written_accounts) {
    for (u128 id : applier.dirty_accounts) written_accounts->push_back(applier.accounts.at(id));
  }
  stats_.transfers_created.fetch_add(applier.created.size(), std::memory_order_relaxed);
  return results;
}

void Ledger::LoadAccounts(store::Connection& connection, std::span<const u128> ids,
                          BatchApplier& applier) {
  const std::optional<int64_t> version = connection.DataVersion();
  if (!version) {  // PostgreSQL: several processes write; always read (and lock) the rows
    LedgerStore::LockAccounts(connection, ids, applier);
    return;
  }
  if (version != account_cache_version_ || account_cache_.size() > options_.account_cache_max) {
    account_cache_.clear();
    account_cache_version_ = version;
  }
  std::vector<u128> missing;
  for (u128 id : ids) {
    if (auto it = account_cache_.find(id); it != account_cache_.end()) {
      applier.accounts.emplace(id, it->second);
    } else {
      missing.push_back(id);
    }
  }
  LedgerStore::LockAccounts(connection, missing, applier);
  for (u128 id : missing) {
    if (auto it = applier.accounts.find(id); it != applier.accounts.end()) {
      account_cache_.emplace(id, it->second);
    }
  }
}

void Ledger::CommitBatch(Committer& committer, std::vector<Request>& batch) {
  std::vector<std::vector<CreateTransferResult>> results;
  std::string error;
  for (int attempt = 0;; ++attempt) {
    try {
      results = ApplyBatch(committer, batch);
      break;
    } catch (const store::Error& failure) {
      account_cache_.clear();  // the rolled-back batch may have updated cached balances
      account_cache_version_.reset();
      if (IsRetryable(failure, committer.connection->backend()) &&
          attempt < options_.conflict_retry_count_max) {
        stats_.batch_retries.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      error = failure.what();
      break;
    } catch (const std::exception& failure) {
      account_cache_.clear();
      account_cache_version_.reset();
      error = failure.what();
      break;
    }
  }
  stats_.batches.fetch_add(1, std::memory_order_relaxed);
  if (!error.empty()) stats_.batch_failures.fetch_add(1, std::memory_order_relaxed);
  Committed committed{std::move(batch), std::move(results), std::move(error)};
  batch.clear();
  if (durability_) {
    {
      std::lock_guard lock(mutex_);
      syncing_.push_back(std::move(committed));
      ++batches_committed_;
    }
    sync_wake_.notify_one();
  } else {
    Deliver(committed);
  }
}

uint64_t Ledger::ExpireDue(Committer& committer) {
  uint64_t expired_total = 0;
  store::Connection& connection = *committer.connection;
  for (;;) {
    const int64_t now_ns = clock_.NowNs();
    store::Transaction transaction(connection, TransactionMode::kWrite);
    std::vector<u128> due =
        LedgerStore::DuePendingIds(connection, now_ns, options_.expiry_batch_max);
    if (due.empty()) return expired_total;
    BatchApplier applier(ReserveTimestamps(connection, due.size()));
    LedgerStore::LockPending(connection, due, applier);
    LedgerStore::LoadTransfers(connection, due, applier);
    std::vector<u128> account_ids;
    for (const auto& [id, transfer] : applier.transfers) {
      account_ids.push_back(transfer.debit_account_id);
      account_ids.push_back(transfer.credit_account_id);
    }
    SortUnique(account_ids);
    LoadAccounts(connection, account_ids, applier);
    const Snapshot before = TakeSnapshot(applier);
    uint64_t expired = 0;
    for (u128 id : due) expired += applier.Expire(id, now_ns) ? 1 : 0;
    CheckBatchBalances(applier, before);
    LedgerStore::Write(connection, applier);
    transaction.Commit();
    if (durability_) durability_->SyncCommitted();
    if (account_cache_version_) {
      for (u128 id : applier.dirty_accounts) account_cache_[id] = applier.accounts.at(id);
    }
    stats_.pending_expired.fetch_add(expired, std::memory_order_relaxed);
    expired_total += expired;
    if (due.size() < static_cast<size_t>(options_.expiry_batch_max)) return expired_total;
  }
}

void Ledger::IndexHistory(Committer& committer) {
  try {
    store::Transaction transaction(*committer.connection, TransactionMode::kWrite);
    LedgerStore::IndexHistory(*committer.connection);
    transaction.Commit();
  } catch (const std::exception&) {
    // Derived data: history queries scan the unindexed tail, and the next interval retries.
  }
}

void Ledger::MaterializeBalances(Committer& committer) {
  if (committer.connection->backend() != store::Backend::kSqlite) return;
  try {
    store::Transaction transaction(*committer.connection, TransactionMode::kWrite);
    LedgerStore::MaterializeBalances(*committer.connection);
    transaction.Commit();
  } catch (const std::exception&) {
    // Reads add what is behind, and the next interval retries.
  }
}

void Ledger::MaterializeBalances() {
  std::lock_guard lock(read_mutex_);
  if (read_connection_->backend() != store::Backend::kSqlite) return;
  store::Transaction transaction(*read_connection_, TransactionMode::kWrite);
  LedgerStore::MaterializeBalances(*read_connection_);
  transaction.Commit();
}

void Ledger::WaitUntilDurable() {
  if (!durability_) return;
  std::unique_lock lock(mutex_);
  const uint64_t target = batches_committed_;
  durable_wake_.wait(lock, [&] { return batches_durable_ >= target; });
}

std::optional<Account> Ledger::LookupAccount(u128 id) {
  WaitUntilDurable();
  std::lock_guard lock(read_mutex_);
  return LedgerStore::FindAccount(*read_connection_, id);
}

std::optional<Transfer> Ledger::LookupTransfer(u128 id) {
  WaitUntilDurable();
  std::lock_guard lock(read_mutex_);
  return LedgerStore::FindTransfer(*read_connection_, id);
}

std::vector<Transfer> Ledger::AccountTransfers(u128 account_id, int limit, int64_t after_timestamp,
                                               u128 after_id) {
  WaitUntilDurable();
  std::lock_guard lock(read_mutex_);
  return LedgerStore::AccountTransfers(*read_connection_, account_id, after_timestamp, after_id,
                                       limit);
}

}  // namespace cambista::ledger
