#include "ledger/ledger.hpp"

#include <algorithm>
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
void CheckBatchBalances(const BatchApplier& applied,
                        const std::unordered_map<u128, Account, U128Hash>& before) {
  struct Sums {
    u128 debits_pending = 0, debits_posted = 0, credits_pending = 0, credits_posted = 0;
  };
  std::map<std::string_view, Sums> by_asset;
  for (u128 id : applied.dirty_accounts) {
    const Account& now = applied.accounts.at(id);
    const Account& then = before.at(id);
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
         (backend == store::Backend::kPostgres &&
          error.kind() == store::Error::Kind::kConstraint);
}

}  // namespace

Ledger::Ledger(store::Database& database, const Clock& clock, LedgerOptions options)
    : database_(database),
      clock_(clock),
      options_(options),
      write_connection_(database.Connect()),
      read_connection_(database.Connect()) {
  next_expiry_ns_ = clock_.NowNs();
  committer_ = std::thread([this] { CommitterLoop(); });
}

Ledger::~Ledger() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  committer_.join();
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
        if ((a.flags & ~AccountFlags::kKnown) != 0) result = R::kReservedFlag;
        else if (a.id == 0) result = R::kIdMustNotBeZero;
        else if (a.id == kU128Max) result = R::kIdMustNotBeIntMax;
        else if ((a.flags & AccountFlags::kKnown) == AccountFlags::kKnown)
          result = R::kFlagsAreMutuallyExclusive;
        else if (!IsValidAssetCode(a.asset)) result = R::kAssetInvalid;
        else if (a.code == 0) result = R::kCodeMustNotBeZero;
        else if (a.code > 0xFFFF) result = R::kCodeOutOfRange;
        else if (auto existing = LedgerStore::FindAccount(connection, a.id)) {
          if (existing->flags != a.flags) result = R::kExistsWithDifferentFlags;
          else if (existing->user_data_128 != a.user_data_128)
            result = R::kExistsWithDifferentUserData128;
          else if (existing->user_data_64 != a.user_data_64)
            result = R::kExistsWithDifferentUserData64;
          else if (existing->user_data_32 != a.user_data_32)
            result = R::kExistsWithDifferentUserData32;
          else if (existing->asset != a.asset) result = R::kExistsWithDifferentAsset;
          else if (existing->code != a.code) result = R::kExistsWithDifferentCode;
          else result = R::kExists;
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
  std::promise<SubmitResult> promise;
  auto future = promise.get_future();
  SubmitAsync(std::move(transfers),
              [&promise](SubmitResult result) { promise.set_value(std::move(result)); });
  return future.get();
}

uint64_t Ledger::ExpirePending() {
  std::promise<SubmitResult> promise;
  auto future = promise.get_future();
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(Request{{}, [&promise](SubmitResult r) { promise.set_value(std::move(r)); },
                             true});
  }
  wake_.notify_one();
  SubmitResult result = future.get();
  if (!result.ok()) throw store::Error(store::Error::Kind::kOther, result.error);
  return result.results.size();
}

void Ledger::CommitterLoop() {
  std::vector<Request> batch;
  for (;;) {
    bool expire_now = false;
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, std::chrono::milliseconds(options_.expiry_interval_ms),
                     [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) return;
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
        if (!batch.empty() &&
            transfer_count + next.transfers.size() >
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
        const uint64_t expired = ExpireDue();
        result.results.assign(expired, CreateTransferResult::kOk);
      } catch (const std::exception& error) {
        result.error = error.what();
      }
      batch.front().done(std::move(result));
      batch.clear();
      continue;
    }
    if (!batch.empty()) {
      CommitBatch(batch);
      batch.clear();
    }
    if (clock_.NowNs() >= next_expiry_ns_) {
      try {
        ExpireDue();
      } catch (const std::exception&) {
        // Retried at the next interval; pending transfers past their timeout are already refused.
      }
      next_expiry_ns_ = clock_.NowNs() + int64_t{options_.expiry_interval_ms} * 1'000'000;
    }
  }
}

int64_t Ledger::NextTimestamp(store::Connection& connection) {
  // On SQLite another process may have written since our last batch (we hold the write lock now).
  if (connection.backend() == store::Backend::kSqlite || last_timestamp_ == 0) {
    last_timestamp_ = std::max(last_timestamp_, LedgerStore::LastTimestamp(connection));
  }
  return std::max(clock_.NowNs(), last_timestamp_ + 1);
}

std::vector<std::vector<CreateTransferResult>> Ledger::ApplyBatch(std::vector<Request>& batch) {
  store::Connection& connection = *write_connection_;
  store::Transaction transaction(connection, TransactionMode::kWrite);
  const int64_t now_ns = clock_.NowNs();
  BatchApplier applier(NextTimestamp(connection));

  std::vector<u128> ids;
  std::vector<u128> lookup_ids;
  std::vector<u128> pending_ids;
  for (const Request& request : batch) {
    for (const Transfer& t : request.transfers) {
      ids.push_back(t.id);
      if (t.pending_id != 0) pending_ids.push_back(t.pending_id);
    }
  }
  SortUnique(ids);
  SortUnique(pending_ids);
  lookup_ids.reserve(ids.size() + pending_ids.size());
  lookup_ids = ids;
  lookup_ids.insert(lookup_ids.end(), pending_ids.begin(), pending_ids.end());
  SortUnique(lookup_ids);

  LedgerStore::LoadFailures(connection, ids, applier);
  LedgerStore::LockPending(connection, pending_ids, applier);
  LedgerStore::LoadTransfers(connection, lookup_ids, applier);

  std::vector<u128> account_ids;
  for (const Request& request : batch) {
    for (const Transfer& t : request.transfers) {
      if (t.debit_account_id != 0) account_ids.push_back(t.debit_account_id);
      if (t.credit_account_id != 0) account_ids.push_back(t.credit_account_id);
    }
  }
  for (u128 pending_id : pending_ids) {
    if (auto it = applier.transfers.find(pending_id); it != applier.transfers.end()) {
      account_ids.push_back(it->second.debit_account_id);
      account_ids.push_back(it->second.credit_account_id);
    }
  }
  SortUnique(account_ids);
  LedgerStore::LockAccounts(connection, account_ids, applier);
  const auto before = applier.accounts;

  std::vector<std::vector<CreateTransferResult>> results;
  results.reserve(batch.size());
  for (const Request& request : batch) {
    results.push_back(applier.Apply(request.transfers, now_ns));
  }
  CheckBatchBalances(applier, before);
  LedgerStore::Write(connection, applier);
  transaction.Commit();
  last_timestamp_ = applier.next_timestamp() - 1;
  stats_.transfers_created.fetch_add(applier.created.size(), std::memory_order_relaxed);
  return results;
}

void Ledger::CommitBatch(std::vector<Request>& batch) {
  std::vector<std::vector<CreateTransferResult>> results;
  std::string error;
  for (int attempt = 0;; ++attempt) {
    try {
      results = ApplyBatch(batch);
      break;
    } catch (const store::Error& failure) {
      if (IsRetryable(failure, write_connection_->backend()) &&
          attempt < options_.conflict_retry_count_max) {
        stats_.batch_retries.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      error = failure.what();
      break;
    } catch (const std::exception& failure) {
      error = failure.what();
      break;
    }
  }
  stats_.batches.fetch_add(1, std::memory_order_relaxed);
  if (!error.empty()) stats_.batch_failures.fetch_add(1, std::memory_order_relaxed);
  for (size_t i = 0; i < batch.size(); ++i) {
    SubmitResult result;
    if (error.empty()) {
      result.results = std::move(results[i]);
    } else {
      result.error = error;
    }
    batch[i].done(std::move(result));
  }
}

uint64_t Ledger::ExpireDue() {
  uint64_t expired_total = 0;
  store::Connection& connection = *write_connection_;
  for (;;) {
    const int64_t now_ns = clock_.NowNs();
    store::Transaction transaction(connection, TransactionMode::kWrite);
    std::vector<u128> due = LedgerStore::DuePendingIds(connection, now_ns, options_.expiry_batch_max);
    if (due.empty()) return expired_total;
    BatchApplier applier(NextTimestamp(connection));
    LedgerStore::LockPending(connection, due, applier);
    LedgerStore::LoadTransfers(connection, due, applier);
    std::vector<u128> account_ids;
    for (const auto& [id, transfer] : applier.transfers) {
      account_ids.push_back(transfer.debit_account_id);
      account_ids.push_back(transfer.credit_account_id);
    }
    SortUnique(account_ids);
    LedgerStore::LockAccounts(connection, account_ids, applier);
    const auto before = applier.accounts;
    uint64_t expired = 0;
    for (u128 id : due) expired += applier.Expire(id, now_ns) ? 1 : 0;
    CheckBatchBalances(applier, before);
    LedgerStore::Write(connection, applier);
    transaction.Commit();
    last_timestamp_ = std::max(last_timestamp_, applier.next_timestamp() - 1);
    stats_.pending_expired.fetch_add(expired, std::memory_order_relaxed);
    expired_total += expired;
    if (due.size() < static_cast<size_t>(options_.expiry_batch_max)) return expired_total;
  }
}

std::optional<Account> Ledger::LookupAccount(u128 id) {
  std::lock_guard lock(read_mutex_);
  return LedgerStore::FindAccount(*read_connection_, id);
}

std::optional<Transfer> Ledger::LookupTransfer(u128 id) {
  std::lock_guard lock(read_mutex_);
  return LedgerStore::FindTransfer(*read_connection_, id);
}

std::vector<Transfer> Ledger::AccountTransfers(u128 account_id, int limit,
                                               int64_t after_timestamp, u128 after_id) {
  std::lock_guard lock(read_mutex_);
  return LedgerStore::AccountTransfers(*read_connection_, account_id, after_timestamp, after_id,
                                       limit);
}

}  // namespace cambista::ledger
