#include "ledger/ledger_store.hpp"

#include <algorithm>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "core/assert.hpp"

namespace cambista::ledger {
namespace {

using store::Backend;

// Transfers indexed per IndexHistory call, so one call never holds the write lock for long.
constexpr int64_t kHistoryIndexBatchMax = 200'000;
using store::Connection;
using store::Param;

bool IsPostgres(const Connection& connection) {
  return connection.backend() == Backend::kPostgres;
}

// PostgreSQL array literal builder: "{a,b,c}".
class ArrayText {
 public:
  void Add(std::string_view element) {
    text_.push_back(text_.empty() ? '{' : ',');
    text_.append(element);
  }
  void AddQuoted(std::string_view element) {  // only for [A-Z0-9] codes; no escaping needed
    text_.push_back(text_.empty() ? '{' : ',');
    text_.push_back('"');
    text_.append(element);
    text_.push_back('"');
  }
  void AddId(u128 value) { Add(ToHex32(value)); }
  void AddAmount(u128 value) { Add(ToDecimal(value)); }
  void AddInt(int64_t value) { Add(std::to_string(value)); }
  const std::string& Finish() {
    if (text_.empty()) text_ = "{";
    text_.push_back('}');
    return text_;
  }

 private:
  std::string text_;
};

int64_t AsInt64(uint64_t value) {
  return static_cast<int64_t>(value);
}

}  // namespace

u128 ReadAmount(const store::Row& row, int column) {
  const auto value = ParseU128Decimal(row.Text(column));
  if (!value)
    throw store::Error(store::Error::Kind::kOther,
                       "ledger: malformed amount in column " + std::to_string(column));
  return *value;
}

Transfer ReadTransfer(const store::Row& row) {
  Transfer t;
  t.id = row.Id(0);
  t.debit_account_id = row.Id(1);
  t.credit_account_id = row.Id(2);
  t.amount = ReadAmount(row, 3);
  t.pending_id = row.Id(4);
  t.user_data_128 = row.Id(5);
  t.user_data_64 = static_cast<uint64_t>(row.Int64(6));
  t.user_data_32 = static_cast<uint32_t>(row.Int64(7));
  t.timeout_s = static_cast<uint32_t>(row.Int64(8));
  t.asset = std::string(row.Text(9));
  t.code = static_cast<uint32_t>(row.Int64(10));
  t.flags = static_cast<uint32_t>(row.Int64(11));
  t.timestamp = row.Int64(12);
  return t;
}

Account ReadAccount(const store::Row& row) {
  Account a;
  a.id = row.Id(0);
  a.asset = std::string(row.Text(1));
  a.code = static_cast<uint32_t>(row.Int64(2));
  a.flags = static_cast<uint32_t>(row.Int64(3));
  a.user_data_128 = row.Id(4);
  a.user_data_64 = static_cast<uint64_t>(row.Int64(5));
  a.user_data_32 = static_cast<uint32_t>(row.Int64(6));
  a.debits_pending = ReadAmount(row, 7);
  a.debits_posted = ReadAmount(row, 8);
  a.credits_pending = ReadAmount(row, 9);
  a.credits_posted = ReadAmount(row, 10);
  a.timestamp = row.Int64(11);
  return a;
}

int64_t LedgerStore::LastTimestamp(Connection& connection) {
  int64_t last = 0;
  // On SQLite also the balance mark, which may stand on an expiry (no transfer row): every event
  // after it must have a larger timestamp.
  connection.Query(IsPostgres(connection)
                       ? "SELECT max(timestamp) FROM ledger_transfers"
                       : "SELECT max(coalesce((SELECT max(timestamp) FROM ledger_transfers), 0), "
                         "(SELECT balances_through FROM ledger_balance_progress WHERE id = 1))",
                   {}, [&](const store::Row& row) {
                     if (!row.IsNull(0)) last = row.Int64(0);
                   });
  return last;
}

namespace {

// ---- SQLite: balances behind the transfers (migration 13) ----
// ledger_accounts holds every event up to balances_through; an account's balances are that row
// plus the changes of the events after the mark: the tail of transfers (rowid-ordered, so read
// from the mark on) and the expiries of pending transfers.

using AccountFilter = std::unordered_set<u128, U128Hash>;

// Added modulo 2^128: releasing a pending amount adds its negation, and the sums are exact because
// every balance, before and after, lies in [0, 2^128).
struct BalanceChange {
  u128 debits_pending = 0, debits_posted = 0, credits_pending = 0, credits_posted = 0;
};

void AddTo(Account& account, const BalanceChange& change) {
  account.debits_pending += change.debits_pending;
  account.debits_posted += change.debits_posted;
  account.credits_pending += change.credits_pending;
  account.credits_posted += change.credits_posted;
}

int64_t BalancesThrough(Connection& connection) {
  int64_t through = 0;
  connection.Query("SELECT balances_through FROM ledger_balance_progress WHERE id = 1", {},
                   [&](const store::Row& row) { through = row.Int64(0); });
  return through;
}

// The balance changes of the events after a mark, for the accounts in `only` (all when null).
class Tail {
 public:
  Tail(Connection& connection, const AccountFilter* only) : connection_(connection), only_(only) {}

  // Reads the events after `through`; returns the last one's timestamp (`through` when none).
  int64_t Read(int64_t through) {
    int64_t last = through;
    std::vector<u128> released;  // pending transfers posted, voided or expired after the mark
    connection_.Query(
        "SELECT debit_account_id, credit_account_id, amount, pending_id, flags, id, timestamp "
        "FROM ledger_transfers WHERE timestamp > $1 ORDER BY timestamp",
        {through}, [&](const store::Row& row) {
          last = row.Int64(6);
          const u128 debit = row.Id(0), credit = row.Id(1);
          if (!Wanted(debit) && !Wanted(credit)) return;
          const u128 amount = ReadAmount(row, 2);
          const auto flags = static_cast<uint32_t>(row.Int64(4));
          if ((flags & TransferFlags::kPending) != 0) {
            pending_[row.Id(5)] = Pending{amount, debit, credit};
            Add(debit, credit, amount, amount, 0);
            return;
          }
          if ((flags &
               (TransferFlags::kPostPendingTransfer | TransferFlags::kVoidPendingTransfer)) != 0) {
            released.push_back(row.Id(3));
          }
          if ((flags & TransferFlags::kVoidPendingTransfer) == 0) Add(debit, credit, 0, 0, amount);
        });
    connection_.Query(
        "SELECT id, resolved_at FROM ledger_pending WHERE state = 4 AND resolved_at > $1",
        {through}, [&](const store::Row& row) {
          released.push_back(row.Id(0));
          last = std::max(last, row.Int64(1));
        });
    for (u128 pending_id : released) Release(pending_id);
    return last;
  }

  std::unordered_map<u128, BalanceChange, U128Hash> changes;

 private:
  struct Pending {
    u128 amount, debit, credit;
  };

  bool Wanted(u128 id) const { return only_ == nullptr || only_->contains(id); }

  // Debit and credit sides of one event: `pending` added to the pending balances, `posted` to the
  // posted ones (each possibly the negation of an amount released).
  void Add(u128 debit, u128 credit, u128 pending_debit, u128 pending_credit, u128 posted) {
    if (Wanted(debit)) {
      changes[debit].debits_pending += pending_debit;
      changes[debit].debits_posted += posted;
    }
    if (Wanted(credit)) {
      changes[credit].credits_pending += pending_credit;
      changes[credit].credits_posted += posted;
    }
  }

  void Release(u128 pending_id) {
    auto it = pending_.find(pending_id);
    if (it == pending_.end()) {
      connection_.Query(
          "SELECT amount, debit_account_id, credit_account_id FROM ledger_transfers WHERE id = $1",
          {store::Id{pending_id}}, [&](const store::Row& row) {
            it = pending_.emplace(pending_id, Pending{ReadAmount(row, 0), row.Id(1), row.Id(2)})
                     .first;
          });
      if (it == pending_.end()) {
        throw store::Error(store::Error::Kind::kOther,
                           "ledger: pending transfer " + ToHex32(pending_id) + " is missing");
      }
    }
    const Pending& p = it->second;
    Add(p.debit, p.credit, u128{0} - p.amount, u128{0} - p.amount, 0);
  }

  Connection& connection_;
  const AccountFilter* only_;
  std::unordered_map<u128, Pending, U128Hash> pending_;
};

// Brings accounts read from ledger_accounts up to date: `find` gives the account to change, or
// null. Within one snapshot of the database (a transaction, or ReadSnapshot).
template <typename Find>
void AddTail(Connection& connection, const AccountFilter* only, Find find) {
  Tail tail(connection, only);
  tail.Read(BalancesThrough(connection));
  for (const auto& [id, change] : tail.changes) {
    if (Account* account = find(id)) AddTo(*account, change);
  }
}

// One snapshot for the reads of an account's row, the mark and the tail, inside or outside a
// transaction (a savepoint is both; a read-only one needs no rollback).
class ReadSnapshot {
 public:
  explicit ReadSnapshot(Connection& connection) : connection_(connection) {
    connection_.Execute("SAVEPOINT ledger_read");
  }
  ReadSnapshot(const ReadSnapshot&) = delete;
  ReadSnapshot& operator=(const ReadSnapshot&) = delete;
  ~ReadSnapshot() {
    try {
      connection_.Execute("RELEASE ledger_read");
    } catch (...) {  // the connection is gone; so is the savepoint
    }
  }

 private:
  Connection& connection_;
};

}  // namespace

namespace {

// One read of a batch: `select` (columns and table, no WHERE) for every id, locking the rows in id
// order on PostgreSQL when `lock`.
struct SelectByIds {
  std::string_view select;
  std::span<const u128> ids;
  bool lock = false;
  store::RowCallback on_row;
};

// Runs `selects` in order: on PostgreSQL each once, with its ids as an array, all in one round
// trip; on SQLite once per id, a cached point lookup.
void RunSelects(Connection& connection, std::span<SelectByIds> selects) {
  if (!IsPostgres(connection)) {
    for (SelectByIds& select : selects) {
      if (select.ids.empty()) continue;
      const std::string sql = std::string(select.select) + " WHERE id = $1";
      for (u128 id : select.ids) connection.Query(sql, {store::Id{id}}, select.on_row);
    }
    return;
  }
  std::vector<std::string> sql, arrays;
  std::vector<Param> params;  // one per select, pointing into `arrays`
  sql.reserve(selects.size());
  arrays.reserve(selects.size());
  params.reserve(selects.size());
  std::vector<store::Statement> statements;
  for (SelectByIds& select : selects) {
    if (select.ids.empty()) continue;
    ArrayText array;
    for (u128 id : select.ids) array.AddId(id);
    arrays.push_back(array.Finish());
    sql.push_back(std::string(select.select) + " WHERE id = ANY($1::uuid[])" +
                  (select.lock ? " ORDER BY id FOR UPDATE" : ""));
    params.emplace_back(std::string_view(arrays.back()));
    statements.push_back({sql.back(), {&params.back(), 1}, &select.on_row});
  }
  connection.RunPipelined(statements);
}

const std::string& SelectTransfers() {
  static const std::string select =
      "SELECT " + std::string(kTransferColumns) + " FROM ledger_transfers";
  return select;
}

const std::string& SelectAccounts() {
  static const std::string select =
      "SELECT " + std::string(kAccountColumns) + " FROM ledger_accounts";
  return select;
}

SelectByIds LoadTransfersSelect(std::span<const u128> ids, BatchApplier& into) {
  return {SelectTransfers(), ids, false, [&into](const store::Row& row) {
            Transfer t = ReadTransfer(row);
            const u128 id = t.id;
            into.transfers.emplace(id, std::move(t));
          }};
}

SelectByIds LoadFailuresSelect(std::span<const u128> ids, BatchApplier& into) {
  return {"SELECT id, result FROM ledger_transfer_failures", ids, false,
          [&into](const store::Row& row) {
            into.failures.emplace(row.Id(0), static_cast<CreateTransferResult>(row.Int64(1)));
          }};
}

SelectByIds LockPendingSelect(std::span<const u128> ids, BatchApplier& into) {
  return {"SELECT id, state, expires_at, resolved_at FROM ledger_pending", ids, true,
          [&into](const store::Row& row) {
            into.pending[row.Id(0)] =
                PendingInfo{static_cast<PendingState>(row.Int64(1)), row.Int64(2), row.Int64(3)};
          }};
}

SelectByIds LockAccountsSelect(std::span<const u128> ids, BatchApplier& into) {
  return {SelectAccounts(), ids, true, [&into](const store::Row& row) {
            Account a = ReadAccount(row);
            const u128 id = a.id;
            into.accounts.emplace(id, std::move(a));
          }};
}

}  // namespace

void LedgerStore::LoadTransfers(Connection& connection, std::span<const u128> ids,
                                BatchApplier& into) {
  SelectByIds select[] = {LoadTransfersSelect(ids, into)};
  RunSelects(connection, select);
}

void LedgerStore::LoadFailures(Connection& connection, std::span<const u128> ids,
                               BatchApplier& into) {
  SelectByIds select[] = {LoadFailuresSelect(ids, into)};
  RunSelects(connection, select);
}

void LedgerStore::LockPending(Connection& connection, std::span<const u128> ids,
                              BatchApplier& into) {
  SelectByIds select[] = {LockPendingSelect(ids, into)};
  RunSelects(connection, select);
}

void LedgerStore::LockAccounts(Connection& connection, std::span<const u128> ids,
                               BatchApplier& into) {
  SelectByIds select[] = {LockAccountsSelect(ids, into)};
  RunSelects(connection, select);
  if (IsPostgres(connection) || ids.empty()) return;
  // Only the accounts just read: others in `into` came from the committer's cache, up to date.
  const AccountFilter only(ids.begin(), ids.end());
  AddTail(connection, &only, [&](u128 id) -> Account* {
    auto it = into.accounts.find(id);
    return it != into.accounts.end() && only.contains(id) ? &it->second : nullptr;
  });
}

void LedgerStore::Load(Connection& connection, const BatchReads& reads, BatchApplier& into) {
  SelectByIds selects[] = {
      LoadFailuresSelect(reads.failure_ids, into), LockPendingSelect(reads.pending_ids, into),
      LoadTransfersSelect(reads.transfer_ids, into), LockAccountsSelect(reads.account_ids, into)};
  RunSelects(connection, selects);
}

namespace {

// PostgreSQL array parameters, one per column; a row at a time (Add), then Finish once each.
struct TransferArrays {
  ArrayText id, debit, credit, amount, pending_id, ud128, ud64, ud32, timeout, asset, code, flags,
      timestamp;
  void Add(const Transfer& t) {
    id.AddId(t.id);
    debit.AddId(t.debit_account_id);
    credit.AddId(t.credit_account_id);
    amount.AddAmount(t.amount);
    pending_id.AddId(t.pending_id);
    ud128.AddId(t.user_data_128);
    ud64.AddInt(AsInt64(t.user_data_64));
    ud32.AddInt(t.user_data_32);
    timeout.AddInt(t.timeout_s);
    asset.AddQuoted(t.asset);
    code.AddInt(t.code);
    flags.AddInt(t.flags);
    timestamp.AddInt(t.timestamp);
  }
};

struct FailureArrays {
  ArrayText id, result, timestamp;
  void Add(const BatchApplier::NewFailure& failure) {
    id.AddId(failure.id);
    result.AddInt(static_cast<int64_t>(failure.result));
    timestamp.AddInt(failure.timestamp);
  }
};

struct PendingArrays {
  ArrayText id, state, expires_at, resolved_at;
  void Add(u128 pending_id, const PendingInfo& info) {
    id.AddId(pending_id);
    state.AddInt(static_cast<int64_t>(info.state));
    expires_at.AddInt(info.expires_at);
    resolved_at.AddInt(info.resolved_at);
  }
};

struct AccountArrays {
  ArrayText id, debits_pending, debits_posted, credits_pending, credits_posted;
  void Add(const Account& a) {
    id.AddId(a.id);
    debits_pending.AddAmount(a.debits_pending);
    debits_posted.AddAmount(a.debits_posted);
    credits_pending.AddAmount(a.credits_pending);
    credits_posted.AddAmount(a.credits_posted);
  }
};

// $1..$13 transfers, $14..$16 failures, $17..$20 pending states, $21..$25 account balances.
const std::string& WritePostgresSql() {
  static const std::string sql =
      "WITH transfers AS (INSERT INTO ledger_transfers (" + std::string(kTransferColumns) +
      ") SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::numeric[], $5::uuid[], "
      "$6::uuid[], $7::bigint[], $8::bigint[], $9::bigint[], $10::text[], $11::int[], "
      "$12::int[], $13::bigint[])), "
      "failures AS (INSERT INTO ledger_transfer_failures (id, result, timestamp) "
      "SELECT * FROM unnest($14::uuid[], $15::int[], $16::bigint[]) ON CONFLICT (id) DO NOTHING), "
      "pending AS (INSERT INTO ledger_pending (id, state, expires_at, resolved_at) "
      "SELECT * FROM unnest($17::uuid[], $18::int[], $19::bigint[], $20::bigint[]) "
      "ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state, resolved_at = EXCLUDED.resolved_at) "
      "UPDATE ledger_accounts AS a SET debits_pending = v.dp, debits_posted = v.dpo, "
      "credits_pending = v.cp, credits_posted = v.cpo FROM unnest($21::uuid[], $22::numeric[], "
      "$23::numeric[], $24::numeric[], $25::numeric[]) AS v(id, dp, dpo, cp, cpo) "
      "WHERE a.id = v.id";
  return sql;
}

// PostgreSQL: the whole batch in one statement (one round trip) of data-modifying CTEs, one per
// table, each fed by arrays. The parts touch different tables, so seeing one snapshot is fine.
void WritePostgres(Connection& connection, const BatchApplier& applied,
                   store::Transaction* commit) {
  TransferArrays transfers;
  for (u128 transfer_id : applied.created) {  // in timestamp order
    transfers.Add(applied.transfers.at(transfer_id));
  }
  FailureArrays failures;
  for (const auto& failure : applied.new_failures) failures.Add(failure);
  PendingArrays pending;
  for (u128 pending_id : applied.dirty_pending) {
    auto it = applied.pending.find(pending_id);
    if (it == applied.pending.end()) continue;  // created, then rolled back with its chain
    pending.Add(pending_id, it->second);
  }
  AccountArrays accounts;
  for (u128 dirty : applied.dirty_accounts) accounts.Add(applied.accounts.at(dirty));
  const Param params[] = {std::string_view(transfers.id.Finish()),
                          std::string_view(transfers.debit.Finish()),
                          std::string_view(transfers.credit.Finish()),
                          std::string_view(transfers.amount.Finish()),
                          std::string_view(transfers.pending_id.Finish()),
                          std::string_view(transfers.ud128.Finish()),
                          std::string_view(transfers.ud64.Finish()),
                          std::string_view(transfers.ud32.Finish()),
                          std::string_view(transfers.timeout.Finish()),
                          std::string_view(transfers.asset.Finish()),
                          std::string_view(transfers.code.Finish()),
                          std::string_view(transfers.flags.Finish()),
                          std::string_view(transfers.timestamp.Finish()),
                          std::string_view(failures.id.Finish()),
                          std::string_view(failures.result.Finish()),
                          std::string_view(failures.timestamp.Finish()),
                          std::string_view(pending.id.Finish()),
                          std::string_view(pending.state.Finish()),
                          std::string_view(pending.expires_at.Finish()),
                          std::string_view(pending.resolved_at.Finish()),
                          std::string_view(accounts.id.Finish()),
                          std::string_view(accounts.debits_pending.Finish()),
                          std::string_view(accounts.debits_posted.Finish()),
                          std::string_view(accounts.credits_pending.Finish()),
                          std::string_view(accounts.credits_posted.Finish())};
  if (commit != nullptr) {
    const store::Statement write[] = {{WritePostgresSql(), params}};
    commit->CommitAfter(write);
  } else {
    connection.Execute(WritePostgresSql(), params);
  }
}

// SQLite: one cached statement per row; in-process, so a statement costs microseconds.
void WriteSqlite(Connection& connection, const BatchApplier& applied) {
  static const std::string insert_transfer =
      "INSERT INTO ledger_transfers (" + std::string(kTransferColumns) +
      ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";
  for (u128 transfer_id : applied.created) {
    const Transfer& t = applied.transfers.at(transfer_id);
    const std::string amount = ToDecimal(t.amount);
    const Param params[] = {store::Id{t.id},
                            store::Id{t.debit_account_id},
                            store::Id{t.credit_account_id},
                            std::string_view(amount),
                            store::Id{t.pending_id},
                            store::Id{t.user_data_128},
                            AsInt64(t.user_data_64),
                            static_cast<int64_t>(t.user_data_32),
                            static_cast<int64_t>(t.timeout_s),
                            std::string_view(t.asset),
                            static_cast<int64_t>(t.code),
                            static_cast<int64_t>(t.flags),
                            t.timestamp};
    connection.Execute(insert_transfer, params);
  }
  for (const auto& failure : applied.new_failures) {
    connection.Execute(
        "INSERT INTO ledger_transfer_failures (id, result, timestamp) VALUES ($1, $2, $3)",
        {store::Id{failure.id}, static_cast<int64_t>(failure.result), failure.timestamp});
  }
  for (u128 pending_id : applied.dirty_pending) {
    auto it = applied.pending.find(pending_id);
    if (it == applied.pending.end()) continue;  // created, then rolled back with its chain
    connection.Execute(
        "INSERT INTO ledger_pending (id, state, expires_at, resolved_at) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (id) DO UPDATE SET state = excluded.state, resolved_at = excluded.resolved_at",
        {store::Id{pending_id}, static_cast<int64_t>(it->second.state), it->second.expires_at,
         it->second.resolved_at});
  }
  // Account balances are not written here: MaterializeBalances writes them behind, in bulk.
}

void UpdateBalances(Connection& connection, const Account& a) {
  const std::string dp = ToDecimal(a.debits_pending), dpo = ToDecimal(a.debits_posted),
                    cp = ToDecimal(a.credits_pending), cpo = ToDecimal(a.credits_posted);
  connection.Execute(
      "UPDATE ledger_accounts SET debits_pending = $2, debits_posted = $3, "
      "credits_pending = $4, credits_posted = $5 WHERE id = $1",
      {store::Id{a.id}, std::string_view(dp), std::string_view(dpo), std::string_view(cp),
       std::string_view(cpo)});
}

}  // namespace

void LedgerStore::Write(Connection& connection, const BatchApplier& applied,
                        store::Transaction* commit) {
  if (IsPostgres(connection)) {
    WritePostgres(connection, applied, commit);
  } else {
    WriteSqlite(connection, applied);
    if (commit != nullptr) commit->Commit();
  }
}

std::vector<u128> LedgerStore::DuePendingIds(Connection& connection, int64_t now_ns, int limit) {
  std::vector<u128> ids;
  connection.Query(IsPostgres(connection)
                       ? "SELECT id FROM ledger_pending WHERE state = 1 AND expires_at > 0 AND "
                         "expires_at <= $1 ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED"
                       : "SELECT id FROM ledger_pending WHERE state = 1 AND expires_at > 0 AND "
                         "expires_at <= $1 ORDER BY id LIMIT $2",
                   {now_ns, static_cast<int64_t>(limit)},
                   [&](const store::Row& row) { ids.push_back(row.Id(0)); });
  return ids;
}

void LedgerStore::InsertAccount(Connection& connection, const Account& a) {
  const std::string zero = "0";
  connection.Execute(
      "INSERT INTO ledger_accounts (" + std::string(kAccountColumns) +
          ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $8, $8, $9)",
      {store::Id{a.id}, std::string_view(a.asset), static_cast<int64_t>(a.code),
       static_cast<int64_t>(a.flags), store::Id{a.user_data_128}, AsInt64(a.user_data_64),
       static_cast<int64_t>(a.user_data_32), std::string_view(zero), a.timestamp});
}

std::optional<Account> LedgerStore::FindStoredAccount(Connection& connection, u128 id) {
  std::optional<Account> found;
  connection.Query(SelectAccounts() + " WHERE id = $1", {store::Id{id}},
                   [&](const store::Row& row) { found = ReadAccount(row); });
  return found;
}

std::optional<Account> LedgerStore::FindAccount(Connection& connection, u128 id) {
  if (IsPostgres(connection)) return FindStoredAccount(connection, id);
  ReadSnapshot snapshot(connection);
  std::optional<Account> found = FindStoredAccount(connection, id);
  if (found) {
    const AccountFilter only{id};
    AddTail(connection, &only, [&](u128) { return &*found; });
  }
  return found;
}

std::vector<Account> LedgerStore::AllAccounts(Connection& connection) {
  std::optional<ReadSnapshot> snapshot;
  if (!IsPostgres(connection)) snapshot.emplace(connection);
  std::vector<Account> accounts;
  connection.Query(SelectAccounts() + " ORDER BY id", {},
                   [&](const store::Row& row) { accounts.push_back(ReadAccount(row)); });
  if (!snapshot) return accounts;
  std::unordered_map<u128, Account*, U128Hash> by_id;
  for (Account& account : accounts) by_id.emplace(account.id, &account);
  AddTail(connection, nullptr, [&](u128 id) -> Account* {
    auto it = by_id.find(id);
    return it != by_id.end() ? it->second : nullptr;
  });
  return accounts;
}

void LedgerStore::MaterializeBalances(Connection& connection) {
  if (IsPostgres(connection)) return;
  const int64_t through = BalancesThrough(connection);
  Tail tail(connection, nullptr);
  const int64_t last = tail.Read(through);
  if (last == through) return;
  for (const auto& [id, change] : tail.changes) {
    std::optional<Account> account = FindStoredAccount(connection, id);
    if (!account) {
      throw store::Error(store::Error::Kind::kOther,
                         "ledger: a transfer names account " + ToHex32(id) + ", which is missing");
    }
    AddTo(*account, change);
    UpdateBalances(connection, *account);
  }
  connection.Execute("UPDATE ledger_balance_progress SET balances_through = $1 WHERE id = 1",
                     {last});
}

std::optional<Transfer> LedgerStore::FindTransfer(Connection& connection, u128 id) {
  std::optional<Transfer> found;
  connection.Query(
      "SELECT " + std::string(kTransferColumns) + " FROM ledger_transfers WHERE id = $1",
      {store::Id{id}}, [&](const store::Row& row) { found = ReadTransfer(row); });
  return found;
}

void LedgerStore::IndexHistory(Connection& connection) {
  if (IsPostgres(connection)) return;
  int64_t indexed_through = 0;
  connection.Query("SELECT indexed_through FROM ledger_history_progress WHERE id = 1", {},
                   [&](const store::Row& row) { indexed_through = row.Int64(0); });
  std::unordered_map<u128, std::string, U128Hash> postings;
  int64_t last = indexed_through;
  connection.Query(
      "SELECT timestamp, debit_account_id, credit_account_id FROM ledger_transfers "
      "WHERE timestamp > $1 ORDER BY timestamp LIMIT $2",
      {indexed_through, kHistoryIndexBatchMax}, [&](const store::Row& row) {
        last = row.Int64(0);
        unsigned char bytes[8];
        for (int i = 0; i < 8; ++i) bytes[i] = static_cast<unsigned char>(last >> (56 - 8 * i));
        for (int column : {1, 2}) {
          postings[row.Id(column)].append(reinterpret_cast<const char*>(bytes), sizeof bytes);
        }
      });
  if (last == indexed_through) return;
  for (const auto& [account_id, timestamps] : postings) {
    connection.Execute(
        "INSERT OR IGNORE INTO ledger_account_history (account_id, last_timestamp, timestamps) "
        "VALUES ($1, $2, $3)",
        {store::Id{account_id}, last, store::Blob{timestamps}});
  }
  connection.Execute("UPDATE ledger_history_progress SET indexed_through = $1 WHERE id = 1",
                     {last});
}

std::vector<Transfer> LedgerStore::AccountTransfers(Connection& connection, u128 account_id,
                                                    int64_t after_timestamp, u128 after_id,
                                                    int limit) {
  const std::string columns(kTransferColumns);
  std::vector<Transfer> transfers;
  auto on_row = [&](const store::Row& row) { transfers.push_back(ReadTransfer(row)); };
  if (!IsPostgres(connection)) {
    // Timestamps are unique on SQLite (they are the rowid), so the timestamp alone is the cursor.
    store::Transaction snapshot(connection, store::TransactionMode::kRead);
    int64_t indexed_through = 0;
    connection.Query("SELECT indexed_through FROM ledger_history_progress WHERE id = 1", {},
                     [&](const store::Row& row) { indexed_through = row.Int64(0); });
    // Posting lists in time order; each holds ascending timestamps (8 bytes big-endian).
    std::vector<int64_t> timestamps;
    connection.Query(
        "SELECT timestamps FROM ledger_account_history WHERE account_id = $1 AND "
        "last_timestamp > $2 AND last_timestamp <= $3 ORDER BY last_timestamp",
        {store::Id{account_id}, after_timestamp, indexed_through}, [&](const store::Row& row) {
          if (timestamps.size() >= static_cast<size_t>(limit)) return;
          const std::string bytes = row.Bytes(0);
          for (size_t at = 0; at + 8 <= bytes.size(); at += 8) {
            int64_t timestamp = 0;
            for (size_t i = 0; i < 8; ++i) {
              timestamp = (timestamp << 8) | static_cast<unsigned char>(bytes[at + i]);
            }
            if (timestamp > after_timestamp && timestamps.size() < static_cast<size_t>(limit)) {
              timestamps.push_back(timestamp);
            }
          }
        });
    for (int64_t timestamp : timestamps) {
      connection.Query("SELECT " + columns + " FROM ledger_transfers WHERE timestamp = $1",
                       {timestamp}, on_row);
    }
    if (transfers.size() < static_cast<size_t>(limit)) {
      connection.Query("SELECT " + columns +
                           " FROM ledger_transfers WHERE timestamp > $2 AND "
                           "(debit_account_id = $1 OR credit_account_id = $1) "
                           "ORDER BY timestamp LIMIT $3",
                       {store::Id{account_id}, std::max(after_timestamp, indexed_through),
                        static_cast<int64_t>(limit - static_cast<int>(transfers.size()))},
                       on_row);
    }
    snapshot.Commit();
    return transfers;
  }
  connection.Query(
      "SELECT " + columns + " FROM (SELECT " + columns +
          " FROM ledger_transfers WHERE debit_account_id = $1 UNION ALL SELECT " + columns +
          " FROM ledger_transfers WHERE credit_account_id = $1) AS t "
          "WHERE (timestamp, id) > ($2, $3) ORDER BY timestamp, id LIMIT $4",
      {store::Id{account_id}, after_timestamp, store::Id{after_id}, static_cast<int64_t>(limit)},
      on_row);
  return transfers;
}

}  // namespace cambista::ledger
