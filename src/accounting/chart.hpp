// The chart of accounts: every ledger account Cambista opens, by kind, in one place.
//
// An account belongs to one tenant and holds one currency; its kind says what it stands for, its
// ledger code and flags, and whether it is debit-normal (what the desk holds) or credit-normal
// (what the desk owes). Its id is derived from its name ("merchant:acme:BRL"), so every part of
// Cambista finds the same account without a lookup, and the registry (table `ledger_chart`) records
// each account's tenant, kind and currency: the API shows a tenant its own accounts and answers 404
// for anyone else's, exactly as for an id that does not exist.
//
// Kinds so far (more come with payouts and trading):
//   merchant          credit-normal  what the desk owes the tenant (its charges' proceeds, net of
//                                    gateway fees)
//   gateway_clearing  debit-normal   what a gateway holds for the tenant (one per gateway)
//   suspense          credit-normal  money received that is not yet the tenant's: a payment under
//                                    manual review (wrong amount, paid after expiry) until an
//                                    operator accepts or refunds it
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/int128.hpp"
#include "ledger/ledger.hpp"
#include "store/connection_pool.hpp"
#include "store/database.hpp"

namespace cambista::accounting {

enum class AccountKind : uint8_t { kMerchant, kGatewayClearing, kSuspense };

struct KindInfo {
  AccountKind kind;
  std::string_view name;  // "merchant": the name in the API and in account names
  uint32_t code;          // the ledger code of accounts of this kind; never changes
  bool debit_normal;      // true: its balance is debits - credits, and may not go below zero
};

const KindInfo& Describe(AccountKind kind);
std::optional<AccountKind> ParseKind(std::string_view name);
std::span<const KindInfo> AllKinds();

// One account of the chart: a tenant's account of a kind in a currency, with a qualifier where the
// kind has several per tenant (the gateway of a clearing account).
struct AccountRef {
  std::string tenant;
  AccountKind kind = AccountKind::kMerchant;
  std::string qualifier;  // gateway name for gateway_clearing; empty otherwise
  std::string currency;

  // "merchant:acme:BRL", "clearing:acme:syncpay:BRL", "suspense:acme:BRL".
  std::string Name() const;
  // The ledger id: the first 127 bits of SHA-256("cambista.account:" + Name()).
  u128 Id() const;
  // The ledger account to create for it (id, asset, code, flags).
  ledger::Account ToLedgerAccount() const;
};

AccountRef MerchantAccount(std::string_view tenant, std::string_view currency);
AccountRef GatewayClearingAccount(std::string_view tenant, std::string_view gateway,
                                  std::string_view currency);
AccountRef SuspenseAccount(std::string_view tenant, std::string_view currency);

// An account as the registry knows it.
struct ChartEntry {
  u128 account_id = 0;
  std::string tenant;
  std::string kind;  // KindInfo::name
  std::string qualifier;
  std::string currency;
  std::string name;
};

// Opens accounts on first use, in the ledger and in the registry, and answers who owns an account.
// Thread-safe.
class Chart {
 public:
  Chart(store::Database& database, ledger::Ledger& ledger);

  // Makes sure every account exists (idempotent; remembered once made, so the common case costs
  // no I/O). Throws std::runtime_error when the ledger refuses one (a bug: the chart defines them).
  void Ensure(std::span<const AccountRef> accounts);

  // The registry entry of an account id, only when `tenant` owns it.
  std::optional<ChartEntry> FindOwned(std::string_view tenant, u128 account_id);
  // Every account of `tenant`, by kind, currency and qualifier.
  std::vector<ChartEntry> ForTenant(std::string_view tenant);

 private:
  store::ConnectionPool pool_;
  ledger::Ledger& ledger_;
  std::mutex mutex_;
  std::set<u128> made_;
};

}  // namespace cambista::accounting
