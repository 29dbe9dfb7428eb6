// The tenant's books over real HTTP: a gateway's fee from the configured schedule is booked with
// the payment so that the merchant holds the net; the charge shows fee_amount and net_amount; GET
// /v1/balances shows the merchant, gateway clearing and suspense accounts with posted, pending and
// available balances as decimal strings; another tenant's key sees none of them, and its GET of
// one answers 404 as for an account that does not exist.
#include "accounting/routes.hpp"
#include "charges_api.hpp"

namespace cambista::payins {
namespace {

using test_support::JsonAt;

class ChargeBooksTest : public test_support::ChargesApiTest {
 protected:
  void SetUp() override {
    ChargesApiTest::SetUp();
    if (IsSkipped()) return;
    key_ = Key("default", {Scope::kChargesWrite, Scope::kChargesRead, Scope::kLedgerRead});
  }
  // SyncPay keeps 0.99% + 0.50 of every payment.
  ChargeServiceOptions Options() override {
    ChargeServiceOptions options = ChargesApiTest::Options();
    options.fees["syncpay"] = ParseFeeSchedule("0.99% + 0.50", 2).value();
    return options;
  }
  void BeforeStart() override {
    accounting::AddAccountingRoutes(router_, *gate_, *ledger_, *chart_, assets_);
  }

  Charge PaidAtSyncPay(std::string_view amount) {
    const auto created =
        Call("POST", "/v1/charges", key_,
             R"({"amount":")" + std::string(amount) + R"(","currency":"BRL","gateway":"syncpay"})");
    EXPECT_EQ(created.status, 201) << created.body;
    const Charge charge = ChargeOf(created);
    EXPECT_EQ(Control(charge, "pay"), 200);
    EXPECT_TRUE(WaitForStatus(charge, ChargeStatus::kPaid));
    return charge;
  }
  // The item of GET /v1/balances (as `key` sees them) for the account of `kind` in BRL, as the
  // JSON text of its members "posted", "pending", "available" (empty when absent).
  std::string BalanceItem(const std::string& key, std::string_view kind,
                          std::string_view qualifier = "") {
    const auto balances = Call("GET", "/v1/balances", key);
    EXPECT_EQ(balances.status, 200) << balances.body;
    const int count = std::stoi(JsonAt(balances.body, "data").value_or("0"));
    for (int i = 0; i < count; ++i) {
      const std::string item = "data." + std::to_string(i) + ".";
      if (JsonAt(balances.body, item + "kind") != kind ||
          JsonAt(balances.body, item + "currency") != "BRL" ||
          (!qualifier.empty() && JsonAt(balances.body, item + "qualifier") != qualifier)) {
        continue;
      }
      return JsonAt(balances.body, item + "account_id").value_or("") + " " +
             JsonAt(balances.body, item + "posted").value_or("") + " " +
             JsonAt(balances.body, item + "pending").value_or("") + " " +
             JsonAt(balances.body, item + "available").value_or("");
    }
    return "";
  }
  static std::string Figures(const std::string& item) { return item.substr(item.find(' ') + 1); }
  static std::string IdOf(const std::string& item) { return item.substr(0, item.find(' ')); }

  std::string key_;
};

TEST_P(ChargeBooksTest, TheFeeIsBookedWithThePaymentAndTheMerchantHoldsTheNet) {
  const Charge charge = PaidAtSyncPay("100.00");
  const auto read = Call("GET", "/v1/charges/" + charge.id, key_);
  EXPECT_EQ(JsonAt(read.body, "paid_amount"), "100.00");
  EXPECT_EQ(JsonAt(read.body, "fee_amount"), "1.49");  // 0.99 + 0.50
  EXPECT_EQ(JsonAt(read.body, "net_amount"), "98.51");
  EXPECT_NE(read.body.find(R"("net_amount":"98.51")"), std::string::npos);  // a decimal string

  const std::string merchant = BalanceItem(key_, "merchant");
  EXPECT_EQ(Figures(merchant), "98.51 0.00 98.51");
  EXPECT_EQ(Figures(BalanceItem(key_, "gateway_clearing", "syncpay")), "98.51 0.00 98.51");
  EXPECT_EQ(Figures(BalanceItem(key_, "suspense")), "0.00 0.00 0.00");
  const auto balances = Call("GET", "/v1/balances", key_);
  EXPECT_NE(balances.body.find(R"("posted":"98.51","pending":"0.00","available":"98.51")"),
            std::string::npos)
      << balances.body;

  // The merchant's transfers: the payment in, the fee out.
  const auto transfers = Call("GET", "/v1/ledger/accounts/" + IdOf(merchant) + "/transfers", key_);
  ASSERT_EQ(transfers.status, 200) << transfers.body;
  EXPECT_EQ(JsonAt(transfers.body, "data"), "2");
  EXPECT_EQ(JsonAt(transfers.body, "data.0.amount"), "100.00");
  EXPECT_EQ(JsonAt(transfers.body, "data.0.credit_account_id"), IdOf(merchant));
  EXPECT_EQ(JsonAt(transfers.body, "data.1.amount"), "1.49");
  EXPECT_EQ(JsonAt(transfers.body, "data.1.debit_account_id"), IdOf(merchant));

  // A second payment adds up.
  PaidAtSyncPay("10.00");  // 0.0990 -> 0.10, + 0.50: 0.60
  EXPECT_EQ(Figures(BalanceItem(key_, "merchant")), "107.91 0.00 107.91");
}

TEST_P(ChargeBooksTest, AFeeNeverExceedsThePaymentAndItsRefundTakesNothingBack) {
  const Charge charge = PaidAtSyncPay("0.30");  // the fixed 0.50 would be more than the payment
  const auto read = Call("GET", "/v1/charges/" + charge.id, key_);
  EXPECT_EQ(JsonAt(read.body, "fee_amount"), "0.30");
  EXPECT_EQ(JsonAt(read.body, "net_amount"), "0.00");
  EXPECT_EQ(Figures(BalanceItem(key_, "merchant")), "0.00 0.00 0.00");
  ASSERT_EQ(Control(charge, "refund"), 200);
  ASSERT_TRUE(WaitForStatus(charge, ChargeStatus::kRefunded));
  EXPECT_EQ(Figures(BalanceItem(key_, "merchant")), "0.00 0.00 0.00");
  EXPECT_EQ(Figures(BalanceItem(key_, "gateway_clearing", "syncpay")), "0.00 0.00 0.00");
}

TEST_P(ChargeBooksTest, AnotherTenantsKeySeesNoneOfTheseAccounts) {
  PaidAtSyncPay("50.00");
  const std::string merchant = IdOf(BalanceItem(key_, "merchant"));
  const std::string clearing = IdOf(BalanceItem(key_, "gateway_clearing", "syncpay"));
  const std::string suspense = IdOf(BalanceItem(key_, "suspense"));
  ASSERT_EQ(merchant.size(), 32u);
  EXPECT_EQ(Call("GET", "/v1/ledger/accounts/" + merchant, key_).status, 200);

  // acme has books of its own (a gateway set up) and sees only those.
  ASSERT_TRUE(service_->SetGateway("acme", "syncpay", sandbox_->Credentials("syncpay"), 1).ok());
  const std::string theirs = Key("acme", {Scope::kLedgerRead, Scope::kChargesRead});
  const auto balances = Call("GET", "/v1/balances", theirs);
  ASSERT_EQ(balances.status, 200);
  EXPECT_EQ(JsonAt(balances.body, "data"), "3")
      << balances.body;  // its merchant, clearing, suspense
  for (const std::string& id : {merchant, clearing, suspense}) {
    EXPECT_EQ(balances.body.find(id), std::string::npos);
    const auto account = Call("GET", "/v1/ledger/accounts/" + id, theirs);
    EXPECT_EQ(account.status, 404) << account.body;
    EXPECT_EQ(JsonAt(account.body, "code"), "not_found");
    EXPECT_EQ(Call("GET", "/v1/ledger/accounts/" + id + "/transfers", theirs).status, 404);
  }
  // The same answer as for an account that does not exist at all.
  const auto unknown = Call("GET", "/v1/ledger/accounts/" + std::string(32, '7'), theirs);
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(JsonAt(unknown.body, "code"), "not_found");
  // Nor its charges.
  EXPECT_EQ(JsonAt(Call("GET", "/v1/charges", theirs).body, "data"), "0");
  // And a key without ledger:read sees no books at all.
  EXPECT_EQ(Call("GET", "/v1/balances", Key("default", {Scope::kChargesRead})).status, 403);
}

INSTANTIATE_BACKENDS(ChargeBooksTest);

}  // namespace
}  // namespace cambista::payins
