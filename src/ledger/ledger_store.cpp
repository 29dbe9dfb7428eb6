#include "ledger/ledger_store.hpp"

#include <algorithm>
#include <string>
#include <unordered_map>

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
  connection.Query("SELECT max(timestamp) FROM ledger_transfers", {}, [&](const store::Row& row) {
    if (!row.IsNull(0)) last = row.Int64(0);
  });
  return last;
}

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
  for (u128 account_id : applied.dirty_accounts) {
    const Account& a = applied.accounts.at(account_id);
    const std::string dp = ToDecimal(a.debits_pending), dpo = ToDecimal(a.debits_posted),
                      cp = ToDecimal(a.credits_pending), cpo = ToDecimal(a.credits_posted);
    connection.Execute(
        "UPDATE ledger_accounts SET debits_pending = $2, debits_posted = $3, "
        "credits_pending = $4, credits_posted = $5 WHERE id = $1",
        {store::Id{a.id}, std::string_view(dp), std::string_view(dpo), std::string_view(cp),
         std::string_view(cpo)});
  }
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

std::optional<Account> LedgerStore::FindAccount(Connection& connection, u128 id) {
  std::optional<Account> found;
  connection.Query("SELECT " + std::string(kAccountColumns) + " FROM ledger_accounts WHERE id = $1",
                   {store::Id{id}}, [&](const store::Row& row) { found = ReadAccount(row); });
  return found;
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
