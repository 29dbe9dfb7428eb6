#include "accounting/chart.hpp"

#include <stdexcept>

#include "core/amount.hpp"
#include "security/hmac.hpp"

namespace cambista::accounting {
namespace {

// Codes are stored with every account: never change or reuse one. The prefixes of the pay-in kinds
// were fixed before the registry existed ("clearing", not "gateway_clearing"): their ids derive
// from them.
constexpr KindInfo kKinds[] = {
    {AccountKind::kGatewayClearing, "gateway_clearing", "clearing", 110, NormalSide::kDebit,
     "gateway", "what a pay-in gateway holds for the tenant"},
    {AccountKind::kTreasury, "treasury", "treasury", 120, NormalSide::kDebit, "place",
     "the desk's own money where it keeps it (a bank account, a hot wallet)"},
    {AccountKind::kProviderFloat, "provider_float", "float", 130, NormalSide::kDebit, "provider",
     "money prepaid at a payout provider"},
    {AccountKind::kMerchant, "merchant", "merchant", 210, NormalSide::kCredit, "",
     "what the desk owes the tenant: its charges' proceeds, net of gateway fees"},
    {AccountKind::kCustomer, "customer", "customer", 220, NormalSide::kCredit, "customer",
     "what the desk owes one of the tenant's customers between a pay-in and its payout"},
    {AccountKind::kSuspense, "suspense", "suspense", 250, NormalSide::kCredit, "",
     "money received that is not yet the tenant's (a payment under manual review)"},
    {AccountKind::kFx, "fx", "fx", 310, NormalSide::kNone, "",
     "the desk's side of currency conversions; its balance is the position"},
    {AccountKind::kFees, "fees", "fees", 410, NormalSide::kCredit, "provider",
     "fees the desk earns (spreads, service fees)"},
    {AccountKind::kProviderFees, "provider_fees", "provider_fees", 420, NormalSide::kDebit,
     "provider", "what the desk pays its payout providers (their commissions)"},
    {AccountKind::kExternal, "external", "external", 510, NormalSide::kNone, "",
     "money outside the ledger: the other side of the deposits an operator records"},
};

ChartEntry ReadEntry(const store::Row& row) {
  return ChartEntry{row.Id(0),
                    std::string(row.Text(1)),
                    std::string(row.Text(2)),
                    std::string(row.Text(3)),
                    std::string(row.Text(4)),
                    std::string(row.Text(5))};
}

constexpr std::string_view kEntryColumns = "account_id, tenant, kind, qualifier, currency, name";

}  // namespace

const KindInfo& Describe(AccountKind kind) {
  for (const KindInfo& info : kKinds) {
    if (info.kind == kind) return info;
  }
  throw std::logic_error("unknown account kind");
}

std::optional<AccountKind> ParseKind(std::string_view name) {
  for (const KindInfo& info : kKinds) {
    if (info.name == name) return info.kind;
  }
  return std::nullopt;
}

std::span<const KindInfo> AllKinds() {
  return kKinds;
}

std::string AccountRef::Name() const {
  std::string name(Describe(kind).prefix);
  name += ":" + tenant;
  if (!qualifier.empty()) name += ":" + qualifier;
  return name + ":" + currency;
}

u128 AccountRef::Id() const {
  const std::string digest = Sha256("cambista.account:" + Name());
  u128 id = 0;
  for (int i = 0; i < 16; ++i) id = (id << 8) | static_cast<unsigned char>(digest[i]);
  id >>= 1;  // below the all-ones id the ledger reserves
  return id == 0 ? 1 : id;
}

ledger::Account AccountRef::ToLedgerAccount() const {
  const KindInfo& info = Describe(kind);
  ledger::Account account;
  account.id = Id();
  account.asset = currency;
  account.code = info.code;
  switch (info.side) {
    case NormalSide::kDebit:
      account.flags = ledger::AccountFlags::kCreditsMustNotExceedDebits;
      break;
    case NormalSide::kCredit:
      account.flags = ledger::AccountFlags::kDebitsMustNotExceedCredits;
      break;
    case NormalSide::kNone:
      break;
  }
  return account;
}

AccountRef MerchantAccount(std::string_view tenant, std::string_view currency) {
  return AccountRef{std::string(tenant), AccountKind::kMerchant, "", std::string(currency)};
}

AccountRef GatewayClearingAccount(std::string_view tenant, std::string_view gateway,
                                  std::string_view currency) {
  return AccountRef{std::string(tenant), AccountKind::kGatewayClearing, std::string(gateway),
                    std::string(currency)};
}

AccountRef SuspenseAccount(std::string_view tenant, std::string_view currency) {
  return AccountRef{std::string(tenant), AccountKind::kSuspense, "", std::string(currency)};
}

Balances BalancesOf(const ledger::Account& a) {
  const auto s = [](u128 v) { return static_cast<i128>(v); };
  Balances b;
  if ((a.flags & ledger::AccountFlags::kCreditsMustNotExceedDebits) != 0) {
    b.posted = s(a.debits_posted) - s(a.credits_posted);
    b.pending = s(a.debits_pending) - s(a.credits_pending);
    b.available = b.posted - s(a.credits_pending);
  } else {
    b.posted = s(a.credits_posted) - s(a.debits_posted);
    b.pending = s(a.credits_pending) - s(a.debits_pending);
    b.available = b.posted - s(a.debits_pending);
  }
  return b;
}

std::string DecimalText(const AssetRegistry& assets, std::string_view currency, i128 minor) {
  auto asset = assets.Find(currency);
  return asset.ok() ? Amount(minor, asset.value()).ToString() : ToDecimal(minor);
}

std::vector<ChartEntry> ReadChart(store::Connection& connection,
                                  std::optional<std::string_view> tenant) {
  std::vector<ChartEntry> entries;
  const auto read = [&entries](const store::Row& row) { entries.push_back(ReadEntry(row)); };
  const std::string select = "SELECT " + std::string(kEntryColumns) + " FROM ledger_chart ";
  constexpr std::string_view kOrder = " ORDER BY tenant, kind, currency, qualifier";
  if (tenant) {
    connection.Query(select + "WHERE tenant = $1" + std::string(kOrder), {*tenant}, read);
  } else {
    connection.Query(select + std::string(kOrder), {}, read);
  }
  return entries;
}

Chart::Chart(store::Database& database, ledger::Ledger& ledger)
    : pool_(database, 4), ledger_(ledger) {}

void Chart::Ensure(std::span<const AccountRef> accounts) {
  std::vector<const AccountRef*> missing;
  {
    std::lock_guard lock(mutex_);
    for (const AccountRef& account : accounts) {
      if (!made_.contains(account.Id())) missing.push_back(&account);
    }
  }
  if (missing.empty()) return;
  std::vector<ledger::Account> ledger_accounts;
  for (const AccountRef* account : missing) ledger_accounts.push_back(account->ToLedgerAccount());
  for (const auto result : ledger_.CreateAccounts(ledger_accounts)) {
    if (result != ledger::CreateAccountResult::kOk &&
        result != ledger::CreateAccountResult::kExists) {
      throw std::runtime_error("the ledger refused an account of the chart: " +
                               std::string(ledger::Name(result)));
    }
  }
  auto connection = pool_.Acquire();
  store::Transaction tx(*connection, store::TransactionMode::kWrite);
  for (const AccountRef* account : missing) {
    connection->Execute(
        "INSERT INTO ledger_chart (account_id, tenant, kind, qualifier, currency, name) VALUES "
        "($1, $2, $3, $4, $5, $6) ON CONFLICT (account_id) DO NOTHING",
        {store::Id{account->Id()}, std::string_view(account->tenant), Describe(account->kind).name,
         std::string_view(account->qualifier), std::string_view(account->currency),
         std::string_view(account->Name())});
  }
  tx.Commit();
  std::lock_guard lock(mutex_);
  for (const AccountRef* account : missing) made_.insert(account->Id());
}

std::optional<ChartEntry> Chart::FindOwned(std::string_view tenant, u128 account_id) {
  std::optional<ChartEntry> found;
  auto connection = pool_.Acquire();
  connection->Query("SELECT " + std::string(kEntryColumns) +
                        " FROM ledger_chart WHERE account_id = $1 AND tenant = $2",
                    {store::Id{account_id}, tenant},
                    [&found](const store::Row& row) { found = ReadEntry(row); });
  return found;
}

std::vector<ChartEntry> Chart::ForTenant(std::string_view tenant) {
  auto connection = pool_.Acquire();
  return ReadChart(*connection, tenant);
}

}  // namespace cambista::accounting
