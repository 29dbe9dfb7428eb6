#include "ledger/auditor.hpp"

#include <map>
#include <unordered_map>

#include "ledger/ledger_store.hpp"
#include "ledger/types.hpp"
#include "obs/json_string.hpp"

namespace cambista::ledger {
namespace {

constexpr size_t kDiscrepanciesMax = 1000;  // enough to act on; the count says if there are more

struct Derived {
  Account stored;
  u128 debits_pending = 0, debits_posted = 0, credits_pending = 0, credits_posted = 0;
};

std::string JsonString(std::string_view text) {
  std::string out;
  obs::AppendJsonString(out, text);
  return out;
}

}  // namespace

std::string AuditReport::ToJson() const {
  std::string out = "{\"consistent\":";
  out += consistent() ? "true" : "false";
  out += ",\"accounts\":" + std::to_string(accounts);
  out += ",\"transfers\":" + std::to_string(transfers);
  out += ",\"pending_open\":" + std::to_string(pending_open);
  out += ",\"assets\":[";
  for (size_t i = 0; i < assets.size(); ++i) {
    const AssetTotals& a = assets[i];
    if (i > 0) out += ",";
    out += "{\"asset\":" + JsonString(a.asset) + ",\"debits_posted\":\"" +
           ToDecimal(a.debits_posted) + "\",\"credits_posted\":\"" + ToDecimal(a.credits_posted) +
           "\",\"debits_pending\":\"" + ToDecimal(a.debits_pending) + "\",\"credits_pending\":\"" +
           ToDecimal(a.credits_pending) + "\"}";
  }
  out += "],\"discrepancies\":[";
  for (size_t i = 0; i < discrepancies.size(); ++i) {
    if (i > 0) out += ",";
    out += JsonString(discrepancies[i]);
  }
  out += "]}";
  return out;
}

namespace {

// One audit: what it has read so far and the report it is filling. Discrepancies are recorded in
// the order they are found: transfers, pending states, account balances, asset totals.
class Audit {
 public:
  explicit Audit(store::Connection& connection) : connection_(connection) {}

  AuditReport Run() {
    LoadAccounts();
    LoadPendingStates();
    connection_.Query("SELECT " + std::string(kTransferColumns) + " FROM ledger_transfers", {},
                      [&](const store::Row& row) { AddTransfer(ReadTransfer(row)); });
    CheckPendingStates();
    CheckAccountsAndAssets();
    return std::move(report_);
  }

 private:
  void Discrepancy(std::string text) {
    if (report_.discrepancies.size() < kDiscrepanciesMax) {
      report_.discrepancies.push_back(std::move(text));
    } else if (report_.discrepancies.size() == kDiscrepanciesMax) {
      report_.discrepancies.push_back("more discrepancies not listed");
    }
  }

  void LoadAccounts() {
    // With their balances current (on SQLite the rows plus the events after their mark).
    for (Account& account : LedgerStore::AllAccounts(connection_)) {
      const u128 id = account.id;
      accounts_.emplace(id, Derived{std::move(account)});
    }
    report_.accounts = accounts_.size();
  }

  void LoadPendingStates() {
    connection_.Query("SELECT id, state FROM ledger_pending", {}, [&](const store::Row& row) {
      pending_states_.emplace(row.Id(0), static_cast<PendingState>(row.Int64(1)));
    });
  }

  // Adds one transfer's amounts to the balances it derives, checking it on the way.
  void AddTransfer(const Transfer& t) {
    ++report_.transfers;
    const std::string id = ToHex32(t.id);
    auto debit = accounts_.find(t.debit_account_id);
    auto credit = accounts_.find(t.credit_account_id);
    if (debit == accounts_.end() || credit == accounts_.end()) {
      Discrepancy("transfer " + id + " names an account that does not exist");
      return;
    }
    if (debit->second.stored.asset != t.asset || credit->second.stored.asset != t.asset) {
      Discrepancy("transfer " + id + " moves " + t.asset + " between accounts of another asset");
    }
    if (t.amount == 0) Discrepancy("transfer " + id + " has a zero amount");
    if ((t.flags & TransferFlags::kPending) != 0) {
      AddPendingTransfer(t, id, debit->second, credit->second);
    } else if ((t.flags &
                (TransferFlags::kPostPendingTransfer | TransferFlags::kVoidPendingTransfer)) != 0) {
      AddResolvingTransfer(t, id, debit->second, credit->second);
    } else {
      debit->second.debits_posted += t.amount;
      credit->second.credits_posted += t.amount;
    }
  }

  // A pending transfer counts in the pending balances only while its state is still pending.
  void AddPendingTransfer(const Transfer& t, const std::string& id, Derived& debit,
                          Derived& credit) {
    pending_seen_[t.id] = true;
    auto state = pending_states_.find(t.id);
    if (state == pending_states_.end()) {
      Discrepancy("pending transfer " + id + " has no pending state");
    } else if (state->second == PendingState::kPending) {
      ++report_.pending_open;
      debit.debits_pending += t.amount;
      credit.credits_pending += t.amount;
    }
  }

  void AddResolvingTransfer(const Transfer& t, const std::string& id, Derived& debit,
                            Derived& credit) {
    const bool post = (t.flags & TransferFlags::kPostPendingTransfer) != 0;
    ++resolutions_[t.pending_id];
    auto state = pending_states_.find(t.pending_id);
    const PendingState expected = post ? PendingState::kPosted : PendingState::kVoided;
    if (state == pending_states_.end() || state->second != expected) {
      Discrepancy("transfer " + id + " resolves pending " + ToHex32(t.pending_id) +
                  " whose state does not match");
    }
    if (post) {
      debit.debits_posted += t.amount;
      credit.credits_posted += t.amount;
    }
  }

  // Every pending state has its pending transfer, and exactly one post or void once resolved.
  void CheckPendingStates() {
    for (const auto& [pending_id, state] : pending_states_) {
      if (!pending_seen_.contains(pending_id)) {
        Discrepancy("pending state " + ToHex32(pending_id) + " has no pending transfer");
      }
      const int count = resolutions_.contains(pending_id) ? resolutions_.at(pending_id) : 0;
      const bool resolved_by_transfer =
          state == PendingState::kPosted || state == PendingState::kVoided;
      if (count != (resolved_by_transfer ? 1 : 0)) {
        Discrepancy("pending " + ToHex32(pending_id) + " is resolved by " + std::to_string(count) +
                    " transfers");
      }
    }
  }

  void CompareBalance(u128 account_id, const char* name, u128 stored, u128 expected) {
    if (stored != expected) {
      Discrepancy("account " + ToHex32(account_id) + " " + name + " is " + ToDecimal(stored) +
                  " but its transfers give " + ToDecimal(expected));
    }
  }

  // Stored balances against derived ones, then per asset debits against credits.
  void CheckAccountsAndAssets() {
    std::map<std::string, AuditReport::AssetTotals> totals;
    for (const auto& [id, derived] : accounts_) {
      const Account& a = derived.stored;
      CompareBalance(id, "debits_pending", a.debits_pending, derived.debits_pending);
      CompareBalance(id, "debits_posted", a.debits_posted, derived.debits_posted);
      CompareBalance(id, "credits_pending", a.credits_pending, derived.credits_pending);
      CompareBalance(id, "credits_posted", a.credits_posted, derived.credits_posted);
      AuditReport::AssetTotals& t = totals[a.asset];
      t.asset = a.asset;
      t.debits_posted += a.debits_posted;
      t.credits_posted += a.credits_posted;
      t.debits_pending += a.debits_pending;
      t.credits_pending += a.credits_pending;
    }
    for (auto& [asset, t] : totals) {
      if (t.debits_posted != t.credits_posted) {
        Discrepancy("asset " + asset + " posted debits " + ToDecimal(t.debits_posted) +
                    " differ from posted credits " + ToDecimal(t.credits_posted));
      }
      if (t.debits_pending != t.credits_pending) {
        Discrepancy("asset " + asset + " pending debits " + ToDecimal(t.debits_pending) +
                    " differ from pending credits " + ToDecimal(t.credits_pending));
      }
      report_.assets.push_back(std::move(t));
    }
  }

  store::Connection& connection_;
  AuditReport report_;
  std::unordered_map<u128, Derived, U128Hash> accounts_;
  std::unordered_map<u128, PendingState, U128Hash> pending_states_;
  std::unordered_map<u128, int, U128Hash> resolutions_;  // pending id -> post/void transfers seen
  std::unordered_map<u128, bool, U128Hash> pending_seen_;
};

}  // namespace

AuditReport AuditLedger(store::Connection& connection) {
  store::Transaction transaction(connection, store::TransactionMode::kRead);
  if (connection.backend() == store::Backend::kPostgres) {
    connection.Execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
  }
  return Audit(connection).Run();
}

}  // namespace cambista::ledger
