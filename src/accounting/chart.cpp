#include "accounting/chart.hpp"

#include <stdexcept>

#include "security/hmac.hpp"

namespace cambista::accounting {
namespace {

// Codes are stored with every account: never change or reuse one.
constexpr KindInfo kKinds[] = {
    {AccountKind::kMerchant, "merchant", 210, false},
    {AccountKind::kGatewayClearing, "gateway_clearing", 110, true},
    {AccountKind::kSuspense, "suspense", 250, false},
};

// The prefix of an account's name; "clearing" rather than the kind's name, so that names made
// before the registry existed keep their ids ("merchant:<tenant>:<CUR>").
std::string_view NamePrefix(AccountKind kind) {
  switch (kind) {
    case AccountKind::kMerchant:
      return "merchant";
    case AccountKind::kGatewayClearing:
      return "clearing";
    case AccountKind::kSuspense:
      return "suspense";
  }
  return "";
}

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
  std::string name(NamePrefix(kind));
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
  account.flags = info.debit_normal ? ledger::AccountFlags::kCreditsMustNotExceedDebits
                                    : ledger::AccountFlags::kDebitsMustNotExceedCredits;
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
  std::vector<ChartEntry> entries;
  auto connection = pool_.Acquire();
  connection->Query("SELECT " + std::string(kEntryColumns) +
                        " FROM ledger_chart WHERE tenant = $1 ORDER BY kind, currency, qualifier",
                    {tenant},
                    [&entries](const store::Row& row) { entries.push_back(ReadEntry(row)); });
  return entries;
}

}  // namespace cambista::accounting
