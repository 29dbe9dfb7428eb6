// The ledger's SQL, for both backends. SQLite runs one cached single-row statement per record (it
// is in-process, so a statement costs microseconds); PostgreSQL runs one statement per kind of
// record for the whole batch, passing arrays, so a batch costs a handful of round trips whatever
// its size. On PostgreSQL, rows are locked in one fixed order — pending states, then accounts, each
// by id — so several processes committing at once never deadlock.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "ledger/batch_applier.hpp"
#include "store/database.hpp"

namespace cambista::ledger {

class LedgerStore {
 public:
  // Largest transfer timestamp in the database (0 when empty); on SQLite at least the balance mark.
  static int64_t LastTimestamp(store::Connection& connection);

  static void LoadTransfers(store::Connection& connection, std::span<const u128> ids,
                            BatchApplier& into);
  static void LoadFailures(store::Connection& connection, std::span<const u128> ids,
                           BatchApplier& into);
  // `ids` sorted ascending and unique; locks the rows on PostgreSQL.
  static void LockPending(store::Connection& connection, std::span<const u128> ids,
                          BatchApplier& into);
  static void LockAccounts(store::Connection& connection, std::span<const u128> ids,
                           BatchApplier& into);
  // What a batch reads before it is applied, each list sorted ascending and unique.
  struct BatchReads {
    std::span<const u128> failure_ids;   // LoadFailures
    std::span<const u128> pending_ids;   // LockPending
    std::span<const u128> transfer_ids;  // LoadTransfers
    std::span<const u128> account_ids;   // LockAccounts (after the pending states: lock order)
  };
  // The four reads above, in that order; on PostgreSQL in one round trip.
  static void Load(store::Connection& connection, const BatchReads& reads, BatchApplier& into);
  // Writes everything `applied` changed; with `commit`, then commits it (PostgreSQL: the write and
  // the COMMIT in one round trip).
  static void Write(store::Connection& connection, const BatchApplier& applied,
                    store::Transaction* commit = nullptr);

  // Pending transfers whose timeout passed at `now_ns` (PostgreSQL: skipping rows others hold).
  static std::vector<u128> DuePendingIds(store::Connection& connection, int64_t now_ns, int limit);

  // SQLite: appends the transfers committed since the last call to ledger_account_history, in the
  // caller's write transaction. No-op on PostgreSQL, whose history indexes are maintained per row.
  static void IndexHistory(store::Connection& connection);

  // SQLite keeps account balances behind the transfers: commits write no balances, and
  // ledger_accounts holds the events up to a mark (ledger_balance_progress). FindAccount,
  // AllAccounts and LockAccounts add the events after it; this writes them into the rows and moves
  // the mark, in the caller's write transaction (the committer does it every
  // LedgerOptions::balance_interval_ms). No-op on PostgreSQL, whose balances are always current.
  static void MaterializeBalances(store::Connection& connection);

  static void InsertAccount(store::Connection& connection, const Account& account);
  // The account with its current balances.
  static std::optional<Account> FindAccount(store::Connection& connection, u128 id);
  // Every account with its current balances, in id order.
  static std::vector<Account> AllAccounts(store::Connection& connection);
  // The row as stored: on SQLite its balances may be behind (its other fields never are).
  static std::optional<Account> FindStoredAccount(store::Connection& connection, u128 id);
  static std::optional<Transfer> FindTransfer(store::Connection& connection, u128 id);
  // Transfers touching `account_id`, ordered by (timestamp, id), strictly after the cursor.
  static std::vector<Transfer> AccountTransfers(store::Connection& connection, u128 account_id,
                                                int64_t after_timestamp, u128 after_id, int limit);
};

// Row readers shared with the auditor (`ledger verify`).
inline constexpr std::string_view kTransferColumns =
    "id, debit_account_id, credit_account_id, amount, pending_id, user_data_128, user_data_64, "
    "user_data_32, timeout_s, asset, code, flags, timestamp";
inline constexpr std::string_view kAccountColumns =
    "id, asset, code, flags, user_data_128, user_data_64, user_data_32, debits_pending, "
    "debits_posted, credits_pending, credits_posted, timestamp";
Transfer ReadTransfer(const store::Row& row);
Account ReadAccount(const store::Row& row);
u128 ReadAmount(const store::Row& row, int column);

}  // namespace cambista::ledger
