// Charges reconciled against the gateways' status APIs (payins/reconciliation.hpp), over real
// HTTP against the sandbox simulators: a charge paid at the gateway whose webhook never came, a
// paid amount planted in our row, an id the gateway does not know, a charge booked here and
// refunded there; agreeing charges and charges outside the window are not reported, a gateway that
// cannot be asked yet (PushinPay's once a minute) is counted unchecked, mismatches become
// reconciliation.mismatch events on the charges channel, and nothing is changed.
#include "charges_fixture.hpp"

namespace cambista::payins {
namespace {

using test_support::WaitFor;

class ChargeReconciliationTest : public test_support::ChargesTest {
 protected:
  void Execute(const std::string& sql) {
    auto connection = db().Connect();
    store::Transaction tx(*connection, store::TransactionMode::kWrite);
    connection->Execute(sql, {});
    tx.Commit();
  }
  std::map<std::string, std::string> KindsById(const ChargeReconciliation& result) {
    std::map<std::string, std::string> kinds;
    for (const events::Mismatch& m : result.mismatches) kinds[m.charge_id] = m.kind;
    return kinds;
  }
  const events::Mismatch* Find(const ChargeReconciliation& result, const Charge& charge) {
    for (const events::Mismatch& m : result.mismatches) {
      if (m.charge_id == charge.id) return &m;
    }
    return nullptr;
  }
  Charge Paid(std::string_view gateway, std::string_view amount) {
    const Charge charge = CreateAt(gateway, amount);
    EXPECT_EQ(Control(charge, "pay"), 200);
    EXPECT_TRUE(WaitForStatus(charge, ChargeStatus::kPaid)) << charge.id;
    return charge;
  }
};

TEST_P(ChargeReconciliationTest, FindsEachPlantedMismatchAndChangesNothing) {
  const Charge old_one = CreateAt("syncpay", "5.00");
  ASSERT_EQ(Control(old_one, "pay", R"({"deliveries":0})"), 200);  // before the window
  clock_.AdvanceMs(3'600'000);
  const int64_t since_ms = clock_.NowMs();

  const Charge agreeing = Paid("syncpay", "10.00");
  const Charge pending = CreateAt("syncpay", "11.00");
  const Charge unheard = CreateAt("syncpay", "12.00");
  ASSERT_EQ(Control(unheard, "pay", R"({"deliveries":0})"), 200);  // paid there, no webhook
  const Charge planted = Paid("syncpay", "13.00");
  Execute("UPDATE charges SET paid_amount = 1299 WHERE id = '" + planted.id + "'");
  const Charge unknown = CreateAt("syncpay", "14.00");
  Execute("UPDATE charges SET gateway_charge_id = 'not-at-the-gateway' WHERE id = '" + unknown.id +
          "'");
  const Charge refunded = Paid("syncpay", "15.00");
  ASSERT_EQ(Control(refunded, "refund", R"({"deliveries":0})"), 200);
  const int64_t rows_before = Count("SELECT COUNT(*) FROM charge_history");

  const ChargeReconciliation result = service_->Reconcile("syncpay", since_ms, true);

  EXPECT_EQ(result.checked, 6);
  EXPECT_EQ(result.unchecked, 0);
  EXPECT_EQ(KindsById(result), (std::map<std::string, std::string>{
                                   {unheard.id, "status_differs"},
                                   {planted.id, "amount_differs"},
                                   {unknown.id, "missing_at_provider"},
                                   {refunded.id, "status_differs"},
                               }));
  const events::Mismatch* paid_there = Find(result, unheard);
  ASSERT_NE(paid_there, nullptr);
  EXPECT_EQ(paid_there->provider, "syncpay");
  EXPECT_EQ(paid_there->reference, unheard.gateway_charge_id);
  EXPECT_EQ(paid_there->tenant, "default");
  EXPECT_EQ(paid_there->ours_status, "PENDING");
  EXPECT_EQ(paid_there->ours_amount, "12.00");
  EXPECT_EQ(paid_there->theirs_amount, "12.00");
  const events::Mismatch* amount = Find(result, planted);
  ASSERT_NE(amount, nullptr);
  EXPECT_EQ(amount->ours_amount, "12.99");
  EXPECT_EQ(amount->theirs_amount, "13.00");
  EXPECT_EQ(Find(result, agreeing), nullptr);
  EXPECT_EQ(Find(result, pending), nullptr);

  // Told, not repaired.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM events WHERE type = 'reconciliation.mismatch' AND "
                  "channel = 'charges' AND tenant = 'default'"),
            4);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM events WHERE type = 'reconciliation.mismatch' AND data "
                  "LIKE '%\"charge_id\":\"" +
                  unheard.id + "\"%' AND data LIKE '%\"payout_id\":null%'"),
            1);
  EXPECT_EQ(StatusOf(unheard), ChargeStatus::kPending);
  EXPECT_EQ(StatusOf(refunded), ChargeStatus::kPaid);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM charge_history"), rows_before);
}

TEST_P(ChargeReconciliationTest, AGatewayThatCannotBeAskedYetIsCountedUncheckedNotReported) {
  const int64_t since_ms = clock_.NowMs();
  // The confirmation has just asked PushinPay about it: the next question must wait a minute.
  const Charge charge = Paid("pushinpay", "20.00");
  ChargeReconciliation result = service_->Reconcile("pushinpay", since_ms, false);
  EXPECT_EQ(result.checked, 0);
  EXPECT_EQ(result.unchecked, 1);
  EXPECT_TRUE(result.mismatches.empty());

  clock_.AdvanceMs(61'000);
  ASSERT_EQ(Control(charge, "refund", R"({"deliveries":0})"), 200);
  result = service_->Reconcile("pushinpay", since_ms, false);
  EXPECT_EQ(result.checked, 1);
  ASSERT_EQ(result.mismatches.size(), 1u);
  EXPECT_EQ(result.mismatches[0].kind, "status_differs");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM events WHERE type = 'reconciliation.mismatch'"), 0);
}

TEST_P(ChargeReconciliationTest, AnotherGatewaysChargesAreNotAskedAbout) {
  const int64_t since_ms = clock_.NowMs();
  const Charge elsewhere = CreateAt("paradise", "30.00");
  ASSERT_EQ(Control(elsewhere, "pay", R"({"deliveries":0})"), 200);
  const ChargeReconciliation result = service_->Reconcile("syncpay", since_ms, false);
  EXPECT_EQ(result.checked + result.unchecked, 0);
  EXPECT_TRUE(result.mismatches.empty());
}

TEST(CompareChargeTest, ReportsOnlyWhatMovesMoney) {
  const Asset brl = AssetRegistry::WithBuiltins().Find("BRL").value();
  Charge ours;
  ours.id = "ch_1";
  ours.gateway = "syncpay";
  ours.amount = 1000;
  const auto report = [&](GatewayStatus status) {
    return Result<StatusReport, GatewayError>(StatusReport{status, Amount(1000, brl), "", {}});
  };
  const auto kind = [&](ChargeStatus here, GatewayStatus there) {
    ours.status = here;
    ours.paid_amount = here == ChargeStatus::kPending ? std::nullopt : std::optional<i128>(1000);
    auto found = CompareCharge(ours, report(there), brl);
    return found ? found->kind : std::string("-");
  };
  EXPECT_EQ(kind(ChargeStatus::kPending, GatewayStatus::kPaid), "status_differs");
  EXPECT_EQ(kind(ChargeStatus::kExpired, GatewayStatus::kPaid), "status_differs");
  EXPECT_EQ(kind(ChargeStatus::kPaid, GatewayStatus::kPending), "status_differs");
  EXPECT_EQ(kind(ChargeStatus::kPaid, GatewayStatus::kExpired), "status_differs");
  EXPECT_EQ(kind(ChargeStatus::kPaid, GatewayStatus::kRefunded), "status_differs");
  EXPECT_EQ(kind(ChargeStatus::kRefunded, GatewayStatus::kPaid), "status_differs");
  EXPECT_EQ(kind(ChargeStatus::kPaid, GatewayStatus::kPaid), "-");
  EXPECT_EQ(kind(ChargeStatus::kRefundPending, GatewayStatus::kPaid), "-");
  EXPECT_EQ(kind(ChargeStatus::kRefunded, GatewayStatus::kRefunded), "-");
  EXPECT_EQ(kind(ChargeStatus::kPending, GatewayStatus::kPending), "-");
  EXPECT_EQ(kind(ChargeStatus::kExpired, GatewayStatus::kPending), "-");    // our expiry is earlier
  EXPECT_EQ(kind(ChargeStatus::kPending, GatewayStatus::kExpired), "-");    // the expiry job's
  EXPECT_EQ(kind(ChargeStatus::kManualReview, GatewayStatus::kPaid), "-");  // an operator's
  // Errors: only a 404 says anything.
  ours.status = ChargeStatus::kPending;
  const auto error = [&](GatewayError::Kind error_kind, int status) {
    auto found = CompareCharge(
        ours, Result<StatusReport, GatewayError>(Failure(GatewayError{error_kind, "x", status})),
        brl);
    return found ? found->kind : std::string("-");
  };
  EXPECT_EQ(error(GatewayError::Kind::kRejected, 404), "missing_at_provider");
  EXPECT_EQ(error(GatewayError::Kind::kRejected, 400), "-");
  EXPECT_EQ(error(GatewayError::Kind::kUnavailable, 503), "-");
  EXPECT_EQ(error(GatewayError::Kind::kRateLimited, 429), "-");
}

INSTANTIATE_BACKENDS(ChargeReconciliationTest);

}  // namespace
}  // namespace cambista::payins
