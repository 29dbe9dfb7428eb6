// The chart of accounts on real databases: every kind opens a ledger account with its code and
// side, ids are stable and per tenant, balances read on the account's side, and the report that
// `cambista ledger accounts` prints lists each account with them.
#include "accounting/chart.hpp"

#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "accounting/report.hpp"
#include "core/clock.hpp"
#include "ledger/ledger.hpp"
#include "test_database.hpp"

namespace cambista::accounting {
namespace {

class ChartTest : public cambista::testing::DatabaseTest {
 protected:
  void SetUp() override {
    cambista::testing::DatabaseTest::SetUp();
    if (IsSkipped()) return;
    ledger_ = std::make_unique<ledger::Ledger>(db(), clock_);
    chart_ = std::make_unique<Chart>(db(), *ledger_);
  }
  void TearDown() override {
    chart_.reset();
    ledger_.reset();
    cambista::testing::DatabaseTest::TearDown();
  }
  void Move(u128 id, const AccountRef& debit, const AccountRef& credit, u128 amount,
            uint32_t flags = 0) {
    ledger::Transfer transfer;
    transfer.id = id;
    transfer.debit_account_id = debit.Id();
    transfer.credit_account_id = credit.Id();
    transfer.amount = amount;
    transfer.asset = debit.currency;
    transfer.code = 1;
    transfer.flags = flags;
    transfer.timeout_s = (flags & ledger::TransferFlags::kPending) != 0 ? 3600 : 0;
    const auto result = ledger_->Submit({transfer});
    ASSERT_TRUE(result.ok()) << result.error;
    ASSERT_TRUE(ledger::IsSuccess(result.results.at(0))) << ledger::Name(result.results.at(0));
  }

  ManualClock clock_;
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<Chart> chart_;
};

AccountRef Of(AccountKind kind, std::string tenant, std::string currency) {
  const KindInfo& info = Describe(kind);
  return AccountRef{std::move(tenant), kind, info.qualifier.empty() ? "" : "q1",
                    std::move(currency)};
}

// The report's line of an account, and its columns.
std::string RowOf(const std::string& report, const AccountRef& ref) {
  const size_t at = report.find(ToHex32(ref.Id()));
  if (at == std::string::npos) return "";
  const size_t start = report.rfind('\n', at) + 1;
  return report.substr(start, report.find('\n', at) - start);
}
std::vector<std::string> Fields(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> fields;
  for (std::string field; in >> field;) fields.push_back(field);
  return fields;
}

TEST(ChartKinds, CodesNamesAndPrefixesAreUniqueAndParse) {
  std::set<uint32_t> codes;
  std::set<std::string_view> names;
  std::set<std::string_view> prefixes;
  for (const KindInfo& info : AllKinds()) {
    EXPECT_TRUE(codes.insert(info.code).second) << info.name;
    EXPECT_TRUE(names.insert(info.name).second) << info.name;
    EXPECT_TRUE(prefixes.insert(info.prefix).second) << info.name;
    EXPECT_EQ(ParseKind(info.name), info.kind);
    EXPECT_EQ(&Describe(info.kind), &info);
    EXPECT_FALSE(info.description.empty());
  }
  EXPECT_EQ(AllKinds().size(), 10u);
  EXPECT_EQ(ParseKind("Merchant"), std::nullopt);
}

// Ids of the pay-in kinds were fixed before the registry: their names must never change.
TEST(ChartKinds, NamesOfThePayinKindsAreStable) {
  EXPECT_EQ(MerchantAccount("acme", "BRL").Name(), "merchant:acme:BRL");
  EXPECT_EQ(GatewayClearingAccount("acme", "syncpay", "BRL").Name(), "clearing:acme:syncpay:BRL");
  EXPECT_EQ(SuspenseAccount("acme", "BRL").Name(), "suspense:acme:BRL");
  EXPECT_NE(MerchantAccount("acme", "BRL").Id(), MerchantAccount("default", "BRL").Id());
  EXPECT_NE(MerchantAccount("acme", "BRL").Id(), MerchantAccount("acme", "USDT").Id());
  EXPECT_EQ(MerchantAccount("acme", "BRL").Id(), MerchantAccount("acme", "BRL").Id());
}

TEST_P(ChartTest, EveryKindOpensItsLedgerAccountWithItsCodeAndSide) {
  std::vector<AccountRef> refs;
  for (const KindInfo& info : AllKinds()) refs.push_back(Of(info.kind, "acme", "BRL"));
  chart_->Ensure(refs);
  for (const AccountRef& ref : refs) {
    const KindInfo& info = Describe(ref.kind);
    const auto account = ledger_->LookupAccount(ref.Id());
    ASSERT_TRUE(account) << ref.Name();
    EXPECT_EQ(account->code, info.code);
    EXPECT_EQ(account->asset, "BRL");
    const uint32_t expected =
        info.side == NormalSide::kDebit    ? ledger::AccountFlags::kCreditsMustNotExceedDebits
        : info.side == NormalSide::kCredit ? ledger::AccountFlags::kDebitsMustNotExceedCredits
                                           : 0u;
    EXPECT_EQ(account->flags, expected) << ref.Name();
    const auto owned = chart_->FindOwned("acme", ref.Id());
    ASSERT_TRUE(owned);
    EXPECT_EQ(owned->kind, info.name);
    EXPECT_EQ(owned->name, ref.Name());
    EXPECT_FALSE(chart_->FindOwned("other", ref.Id()));
  }
  EXPECT_EQ(chart_->ForTenant("acme").size(), refs.size());
  chart_->Ensure(refs);  // idempotent
  EXPECT_EQ(chart_->ForTenant("acme").size(), refs.size());
}

TEST_P(ChartTest, BalancesReadOnTheAccountsSideAndTheReportListsThem) {
  const AccountRef clearing = GatewayClearingAccount("acme", "syncpay", "BRL");
  const AccountRef merchant = MerchantAccount("acme", "BRL");
  const AccountRef fx = Of(AccountKind::kFx, "acme", "BRL");
  const AccountRef other = MerchantAccount("zeta", "BRL");
  chart_->Ensure(std::vector{clearing, merchant, fx, other});
  Move(1, clearing, merchant, 10'050);                                  // R$ 100.50 paid
  Move(2, merchant, clearing, 1'000, ledger::TransferFlags::kPending);  // R$ 10.00 on hold
  Move(3, fx, merchant, 250);                                           // fx may go negative

  const Balances c = BalancesOf(*ledger_->LookupAccount(clearing.Id()));
  EXPECT_EQ(c.posted, 10'050);
  EXPECT_EQ(c.pending, -1'000);
  EXPECT_EQ(c.available, 9'050);  // what the pending credit may take out
  const Balances m = BalancesOf(*ledger_->LookupAccount(merchant.Id()));
  EXPECT_EQ(m.posted, 10'300);
  EXPECT_EQ(m.pending, -1'000);
  EXPECT_EQ(m.available, 9'300);
  EXPECT_EQ(BalancesOf(*ledger_->LookupAccount(fx.Id())).posted, -250);

  auto connection = db().Connect();
  const auto assets = AssetRegistry::WithBuiltins();
  const std::string mine = ChartReport(*connection, std::string_view("acme"), assets);
  EXPECT_NE(mine.find("Accounts (3) of tenant acme"), std::string::npos) << mine;
  EXPECT_NE(mine.find("provider_float"), std::string::npos) << mine;  // the kinds' table
  EXPECT_NE(mine.find(ToHex32(merchant.Id())), std::string::npos) << mine;
  EXPECT_EQ(Fields(RowOf(mine, merchant)),
            (std::vector<std::string>{"acme", "merchant", "-", "BRL", "103.00", "-10.00", "93.00",
                                      ToHex32(merchant.Id())}));
  EXPECT_EQ(Fields(RowOf(mine, clearing)).at(2), "syncpay");
  EXPECT_NE(mine.find("-2.50"), std::string::npos) << mine;
  EXPECT_EQ(mine.find(ToHex32(other.Id())), std::string::npos) << mine;
  const std::string all = ChartReport(*connection, std::nullopt, assets);
  EXPECT_NE(all.find("Accounts (4)\n"), std::string::npos) << all;
  EXPECT_NE(all.find(ToHex32(other.Id())), std::string::npos) << all;
}

INSTANTIATE_BACKENDS(ChartTest);

}  // namespace
}  // namespace cambista::accounting
