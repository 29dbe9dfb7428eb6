// Charges end to end over real HTTP, on both backends: created at every gateway, paid there, and
// booked on the ledger once, with the state, history, counters and event of each change.
#include "charges_fixture.hpp"

#include "pix/br_code.hpp"

namespace cambista::payins {
namespace {

using test_support::WaitFor;

class ChargesFlowTest : public test_support::ChargesTest {};

TEST_P(ChargesFlowTest, EveryPixGatewayGoesFromChargeToPaidOnTheLedger) {
  i128 expected = 0;
  for (std::string_view gateway : {"syncpay", "pushinpay", "paradise", "wiinpay", "atomopay"}) {
    SCOPED_TRACE(std::string(gateway));
    const Charge charge = CreateAt(gateway, "10.50");
    ASSERT_EQ(charge.status, ChargeStatus::kPending) << charge.last_error;
    EXPECT_EQ(charge.gateway, gateway);
    EXPECT_FALSE(charge.gateway_charge_id.empty());
    auto code = pix::ParseBrCode(charge.pix_code);
    ASSERT_TRUE(code.ok()) << charge.pix_code;
    ASSERT_TRUE(code.value().amount.has_value());
    EXPECT_EQ(code.value().amount->minor(), 1050);

    ASSERT_EQ(Control(charge, "pay"), 200);
    ASSERT_TRUE(WaitForStatus(charge, ChargeStatus::kPaid));
    expected += 1050;
    EXPECT_EQ(MerchantBalance("default", "BRL"), expected);
    EXPECT_EQ(Balance(accounting::GatewayClearingAccount("default", gateway, "BRL")), 1050);
    const auto paid = service_->Get("default", charge.id).value();
    EXPECT_EQ(paid.paid_amount, std::optional<i128>(1050));
    EXPECT_TRUE(paid.paid_at_ms.has_value());
    // What proved it: the token alone at WiinPay, the gateway's status API elsewhere.
    EXPECT_EQ(paid.proof, gateway == "wiinpay" ? Proof::kToken : Proof::kGatewayApi);
  }
  EXPECT_EQ(Count("SELECT COUNT(*) FROM events WHERE type = 'charge.paid'"), 5);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM charge_history WHERE to_status = 'PAID'"), 5);
  const auto stats = service_->Stats("default");
  int64_t paid = 0;
  for (const auto& row : stats) paid += row.paid;
  EXPECT_EQ(paid, 5);
}

TEST_P(ChargesFlowTest, BuhoPagoIsPaidInBolivaresOnItsSignatureAndItsFeeIsBooked) {
  const Charge charge = CreateAt("buhopago", "150.00", "default", "VES");
  ASSERT_EQ(charge.status, ChargeStatus::kPending) << charge.last_error;
  EXPECT_TRUE(charge.pix_code.empty());
  EXPECT_FALSE(charge.payment_instructions.empty());
  ASSERT_EQ(Control(charge, "pay"), 200);
  ASSERT_TRUE(WaitForStatus(charge, ChargeStatus::kPaid));
  const Charge paid = service_->Get("default", charge.id).value();
  EXPECT_EQ(paid.proof, Proof::kSignature);
  // 5% of 150.00 is 7.50, and 16% IVA on it 1.20: the merchant holds 141.30, and so does the
  // gateway for it.
  EXPECT_EQ(paid.fee_amount, std::optional<i128>(870));
  EXPECT_EQ(MerchantBalance("default", "VES"), 14130);
  EXPECT_EQ(Balance(accounting::GatewayClearingAccount("default", "buhopago", "VES")), 14130);
}

TEST_P(ChargesFlowTest, DuplicateAndOutOfOrderDeliveriesChangeNothingTwice) {
  const Charge twice = CreateAt("wiinpay", "20.00");  // applied from the webhook: dedupe matters
  ASSERT_EQ(Control(twice, "pay", R"({"deliveries":2})"), 200);
  ASSERT_TRUE(WaitForStatus(twice, ChargeStatus::kPaid));
  const Charge late = CreateAt("pushinpay", "30.00");
  ASSERT_EQ(Control(late, "pay", R"({"out_of_order":true})"), 200);
  ASSERT_TRUE(WaitForStatus(late, ChargeStatus::kPaid));
  // Both deliveries of each charge arrive (the second as a duplicate or a stale pending).
  ASSERT_TRUE(WaitFor([&] {
    return Count("SELECT COUNT(*) FROM gateway_deliveries WHERE gateway = 'wiinpay'") == 2 &&
           service_->counters().duplicates.load() >= 1;
  }));
  ASSERT_TRUE(WaitFor([&] {
    return Count("SELECT COUNT(*) FROM gateway_deliveries WHERE gateway = 'pushinpay'") == 2;
  }));
  ASSERT_TRUE(SettleJobs());
  EXPECT_EQ(StatusOf(late), ChargeStatus::kPaid);
  EXPECT_EQ(MerchantBalance("default", "BRL"), 5000);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM charge_history WHERE to_status = 'PAID'"), 2);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM events WHERE type = 'charge.paid'"), 2);
}

TEST_P(ChargesFlowTest, AStatusNeverMovesBackwards) {
  const Charge charge = CreateAt("wiinpay", "12.34");
  ASSERT_EQ(Control(charge, "pay"), 200);
  ASSERT_TRUE(WaitForStatus(charge, ChargeStatus::kPaid));
  // The gateway refuses to expire a paid charge, and a "failed" after it, even at the charge's
  // own callback URL, is stale.
  EXPECT_NE(Control(charge, "expire"), 200);
  const std::string body =
      R"({"id":")" + charge.gateway_charge_id + R"(","status":"failed","value":12.34})";
  const auto answer = Post(CallbackPath(charge), body);
  EXPECT_EQ(answer.status, 200) << answer.body;
  EXPECT_NE(answer.body.find("\"stale\""), std::string::npos) << answer.body;
  EXPECT_EQ(StatusOf(charge), ChargeStatus::kPaid);
  EXPECT_EQ(MerchantBalance("default", "BRL"), 1234);
}

TEST_P(ChargesFlowTest, FallsBackToTheNextGatewayWhenTheFirstFails) {
  // Tenant "acme": SyncPay first with credentials the gateway refuses, then PushinPay.
  Credentials wrong = sandbox_->Credentials("syncpay");
  for (auto& [name, value] : wrong) value = "wrong-" + value;
  ASSERT_TRUE(service_->SetGateway("acme", "syncpay", wrong, 1).ok());
  ASSERT_TRUE(
      service_->SetGateway("acme", "pushinpay", sandbox_->Credentials("pushinpay"), 2).ok());
  NewCharge request{std::nullopt, Money("25.00"), "fallback", "", {}, 3600};
  auto created = service_->Create("acme", "fallback-key", request);
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created.value().status, ChargeStatus::kPending);
  EXPECT_EQ(created.value().gateway, "pushinpay");
  EXPECT_NE(created.value().last_error.find("syncpay"), std::string::npos);
  // The same Idempotency-Key finds the same charge.
  auto again = service_->Create("acme", "fallback-key", request);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.value().id, created.value().id);
  bool syncpay_failure = false;
  for (const auto& row : service_->Stats("acme")) {
    if (row.gateway == "syncpay") syncpay_failure = row.failures == 1 && !row.last_error.empty();
  }
  EXPECT_TRUE(syncpay_failure);
  // Webhooks of one tenant never touch another's charges, nor its books.
  const Charge charge{created.value()};
  ASSERT_EQ(Control(charge, "pay"), 200);
  ASSERT_TRUE(WaitForStatus(charge, ChargeStatus::kPaid));
  EXPECT_EQ(MerchantBalance("acme", "BRL"), 2500);
  EXPECT_EQ(Balance(accounting::GatewayClearingAccount("acme", "pushinpay", "BRL")), 2500);
  EXPECT_EQ(MerchantBalance("default", "BRL"), 0);
  EXPECT_EQ(Balance(accounting::GatewayClearingAccount("default", "pushinpay", "BRL")), 0);
}

TEST_P(ChargesFlowTest, UnpaidChargesExpireAndLostPaymentsAreFound) {
  const Charge unpaid = CreateAt("syncpay", "5.00");
  const Charge silent = CreateAt("paradise", "6.00");
  const Charge tokened = CreateAt("wiinpay", "7.00");  // no status API: expires by our clock
  ASSERT_EQ(Control(silent, "pay", R"({"deliveries":0})"), 200);  // the webhook never comes
  clock_.AdvanceMs(2 * 3'600'000);
  EXPECT_EQ(service_->ExpireDue(100), 3);
  EXPECT_EQ(service_->ExpireDue(100), 0);  // nothing left
  EXPECT_EQ(StatusOf(unpaid), ChargeStatus::kExpired);
  EXPECT_EQ(StatusOf(silent), ChargeStatus::kPaid);  // asked the gateway before expiring it
  EXPECT_EQ(StatusOf(tokened), ChargeStatus::kExpired);
  EXPECT_EQ(MerchantBalance("default", "BRL"), 600);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM events WHERE type = 'charge.expired'"), 2);
}

INSTANTIATE_BACKENDS(ChargesFlowTest);

}  // namespace
}  // namespace cambista::payins
