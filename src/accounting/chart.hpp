// The chart of accounts: every ledger account Cambista opens, by kind, in one place.
//
// An account belongs to one tenant and holds one currency; its kind says what it stands for, its
// ledger code and flags, and whether it is debit-normal (what the desk holds) or credit-normal
// (what the desk owes). Its id is derived from its name ("merchant:acme:BRL"), so every part of
// Cambista finds the same account without a lookup, and the registry (table `ledger_chart`) records
// each account's tenant, kind and currency: the API shows a tenant its own accounts and answers 404
// for anyone else's, exactly as for an id that does not exist.
//
// The kinds, with the code every account of the kind carries in the ledger (never changed or
// reused) and the side its balance reads on (debit-normal: what the desk holds; credit-normal: what
// it owes). Names are "<prefix>:<tenant>[:<qualifier>]:<CUR>"; the qualifier tells several
// accounts of a kind apart within a tenant and currency.
//
//   kind              code  side    qualifier  stands for
//   gateway_clearing  110   debit   gateway    what a pay-in gateway holds for the tenant (payins)
//   treasury          120   debit   place      the desk's own money where it keeps it: a bank
//                                              account, a hot wallet (payouts, chain)
//   provider_float    130   debit   provider   money prepaid at a payout provider, e.g. BuhoPago
//                                              credit or a Binance balance (payouts)
//   merchant          210   credit  -          what the desk owes the tenant: its charges'
//                                              proceeds, net of gateway fees (payins)
//   customer          220   credit  customer   what the desk owes one of the tenant's customers
//                                              between a pay-in and its payout (trading)
//   suspense          250   credit  -          money received that is not yet the tenant's: a
//                                              payment under manual review (payins)
//   fx                310   none    -          the desk's side of currency conversions: a trade
//                                              credits it in one currency and debits it in the
//                                              other; its balance is the position (trading)
//   fees              410   credit  provider   fees the desk earns from its tenants' customers
//                                              (spreads and service fees; trading, payouts)
//   provider_fees     420   debit   provider   what the desk pays its payout providers: their
//                                              commissions, booked when a payout is confirmed
//                                              (payouts)
//   external          510   none    -          money outside the ledger: the other side of a
//                                              deposit an operator records (a float topped up
//                                              at a provider, a bank deposit; payouts)
//
// Gateway fees on pay-ins are not an account of their own: the gateway keeps them, so they are
// booked from the merchant account back to the gateway's clearing account in the payment's
// transaction, and the merchant account holds the net.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/asset.hpp"
#include "core/int128.hpp"
#include "ledger/ledger.hpp"
#include "store/connection_pool.hpp"
#include "store/database.hpp"

namespace cambista::accounting {

enum class AccountKind : uint8_t {
  kGatewayClearing,
  kTreasury,
  kProviderFloat,
  kMerchant,
  kCustomer,
  kSuspense,
  kFx,
  kFees,
  kProviderFees,
  kExternal,
};

// The side an account's balance reads on; a bounded side may not go below zero.
enum class NormalSide : uint8_t { kDebit, kCredit, kNone };

struct KindInfo {
  AccountKind kind;
  std::string_view name;         // "merchant": the name in the API and in account names
  std::string_view prefix;       // of its accounts' names ("clearing" for gateway_clearing)
  uint32_t code;                 // the ledger code of accounts of this kind; never changes
  NormalSide side;               // debit: debits - credits; credit: credits - debits; both bounded
  std::string_view qualifier;    // what tells its accounts apart in a tenant and currency, or ""
  std::string_view description;  // for people (`cambista ledger accounts`)
};

const KindInfo& Describe(AccountKind kind);
std::optional<AccountKind> ParseKind(std::string_view name);
std::span<const KindInfo> AllKinds();

// One account of the chart: a tenant's account of a kind in a currency, with a qualifier where the
// kind has several per tenant (the gateway of a clearing account).
struct AccountRef {
  std::string tenant;
  AccountKind kind = AccountKind::kMerchant;
  std::string qualifier;  // KindInfo::qualifier's value (a gateway's name...); empty if none
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

// An account's balances as its side reads them: what the desk holds for a debit-normal account,
// what it owes for a credit-normal one (credits - debits for an unbounded one). Available is
// posted less what pending transfers may take out.
struct Balances {
  i128 posted = 0;
  i128 pending = 0;
  i128 available = 0;
};
Balances BalancesOf(const ledger::Account& account);

// An amount of an account's currency as a decimal ("100.50"); the bare minor units when the
// currency is not in `assets`.
std::string DecimalText(const AssetRegistry& assets, std::string_view currency, i128 minor);

// An account as the registry knows it.
struct ChartEntry {
  u128 account_id = 0;
  std::string tenant;
  std::string kind;  // KindInfo::name
  std::string qualifier;
  std::string currency;
  std::string name;
};

// The registry's entries of `tenant`, or of every tenant; ordered by tenant, kind, currency and
// qualifier.
std::vector<ChartEntry> ReadChart(store::Connection& connection,
                                  std::optional<std::string_view> tenant);

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
