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

AuditReport AuditLedger(store::Connection& connection) {
  AuditReport report;
  auto discrepancy = [&](std::string text) {
    if (report.discrepancies.size() < kDiscrepanciesMax) {
      report.discrepancies.push_back(std::move(text));
    } else if (report.discrepancies.size() == kDiscrepanciesMax) {
      report.discrepancies.push_back("more discrepancies not listed");
    }
  };

  store::Transaction transaction(connection, store::TransactionMode::kRead);
  if (connection.backend() == store::Backend::kPostgres) {
    connection.Execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
  }

  std::unordered_map<u128, Derived, U128Hash> accounts;
  connection.Query("SELECT " + std::string(kAccountColumns) + " FROM ledger_accounts", {},
                   [&](const store::Row& row) {
                     Account account = ReadAccount(row);
                     const u128 id = account.id;
                     accounts.emplace(id, Derived{std::move(account)});
                   });
  report.accounts = accounts.size();

  std::unordered_map<u128, PendingState, U128Hash> pending_states;
  connection.Query("SELECT id, state FROM ledger_pending", {}, [&](const store::Row& row) {
    pending_states.emplace(row.Id(0), static_cast<PendingState>(row.Int64(1)));
  });
  std::unordered_map<u128, int, U128Hash> resolutions;  // pending id -> post/void transfers seen
  std::unordered_map<u128, bool, U128Hash> pending_seen;

  connection.Query(
      "SELECT " + std::string(kTransferColumns) + " FROM ledger_transfers", {},
      [&](const store::Row& row) {
        const Transfer t = ReadTransfer(row);
        ++report.transfers;
        const std::string id = ToHex32(t.id);
        auto debit = accounts.find(t.debit_account_id);
        auto credit = accounts.find(t.credit_account_id);
        if (debit == accounts.end() || credit == accounts.end()) {
          discrepancy("transfer " + id + " names an account that does not exist");
          return;
        }
        if (debit->second.stored.asset != t.asset || credit->second.stored.asset != t.asset) {
          discrepancy("transfer " + id + " moves " + t.asset +
                      " between accounts of another asset");
        }
        if (t.amount == 0) discrepancy("transfer " + id + " has a zero amount");
        if ((t.flags & TransferFlags::kPending) != 0) {
          pending_seen[t.id] = true;
          auto state = pending_states.find(t.id);
          if (state == pending_states.end()) {
            discrepancy("pending transfer " + id + " has no pending state");
          } else if (state->second == PendingState::kPending) {
            ++report.pending_open;
            debit->second.debits_pending += t.amount;
            credit->second.credits_pending += t.amount;
          }
        } else if ((t.flags & (TransferFlags::kPostPendingTransfer |
                               TransferFlags::kVoidPendingTransfer)) != 0) {
          const bool post = (t.flags & TransferFlags::kPostPendingTransfer) != 0;
          ++resolutions[t.pending_id];
          auto state = pending_states.find(t.pending_id);
          const PendingState expected = post ? PendingState::kPosted : PendingState::kVoided;
          if (state == pending_states.end() || state->second != expected) {
            discrepancy("transfer " + id + " resolves pending " + ToHex32(t.pending_id) +
                        " whose state does not match");
          }
          if (post) {
            debit->second.debits_posted += t.amount;
            credit->second.credits_posted += t.amount;
          }
        } else {
          debit->second.debits_posted += t.amount;
          credit->second.credits_posted += t.amount;
        }
      });

  for (const auto& [pending_id, state] : pending_states) {
    if (!pending_seen.contains(pending_id)) {
      discrepancy("pending state " + ToHex32(pending_id) + " has no pending transfer");
    }
    const int count = resolutions.contains(pending_id) ? resolutions.at(pending_id) : 0;
    const bool resolved_by_transfer =
        state == PendingState::kPosted || state == PendingState::kVoided;
    if (count != (resolved_by_transfer ? 1 : 0)) {
      discrepancy("pending " + ToHex32(pending_id) + " is resolved by " + std::to_string(count) +
                  " transfers");
    }
  }

  std::map<std::string, AuditReport::AssetTotals> totals;
  for (const auto& [id, derived] : accounts) {
    const Account& a = derived.stored;
    auto compare = [&](const char* name, u128 stored, u128 expected) {
      if (stored != expected) {
        discrepancy("account " + ToHex32(id) + " " + name + " is " + ToDecimal(stored) +
                    " but its transfers give " + ToDecimal(expected));
      }
    };
    compare("debits_pending", a.debits_pending, derived.debits_pending);
    compare("debits_posted", a.debits_posted, derived.debits_posted);
    compare("credits_pending", a.credits_pending, derived.credits_pending);
    compare("credits_posted", a.credits_posted, derived.credits_posted);
    AuditReport::AssetTotals& t = totals[a.asset];
    t.asset = a.asset;
    t.debits_posted += a.debits_posted;
    t.credits_posted += a.credits_posted;
    t.debits_pending += a.debits_pending;
    t.credits_pending += a.credits_pending;
  }
  for (auto& [asset, t] : totals) {
    if (t.debits_posted != t.credits_posted) {
      discrepancy("asset " + asset + " posted debits " + ToDecimal(t.debits_posted) +
                  " differ from posted credits " + ToDecimal(t.credits_posted));
    }
    if (t.debits_pending != t.credits_pending) {
      discrepancy("asset " + asset + " pending debits " + ToDecimal(t.debits_pending) +
                  " differ from pending credits " + ToDecimal(t.credits_pending));
    }
    report.assets.push_back(std::move(t));
  }
  return report;
}

}  // namespace cambista::ledger
