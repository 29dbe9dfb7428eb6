// A webhook is a hint, never proof: forged, early, replayed and cross-tenant deliveries over real
// HTTP against the sandbox change nothing, are kept for the audit, and never block the real one.
#include "charges_fixture.hpp"

namespace cambista::payins {
namespace {

using test_support::WaitFor;

class WebhookIntegrityTest : public test_support::ChargesTest {
 protected:
  // The deliveries recorded for a charge, as "outcome/verified" in arrival order.
  std::vector<std::string> Deliveries(std::string_view gateway) {
    std::vector<std::string> rows;
    auto connection = db().Connect();
    connection->Query(
        "SELECT outcome, verified, event_id FROM gateway_deliveries WHERE gateway = $1 ORDER BY id",
        {gateway}, [&rows](const store::Row& row) {
          rows.push_back(std::string(row.Text(0)) + "/" + std::to_string(row.Int64(1)) +
                         (row.IsNull(2) ? "" : "/event"));
        });
    return rows;
  }
};

TEST_P(WebhookIntegrityTest, AnUnsignedWebhookWithoutTheTokenChangesNothing) {
  // The issue's reproduction: anyone posts ÁtomoPay's "paid" for a real, unpaid charge.
  const Charge charge = CreateAt("atomopay", "25.00");
  ASSERT_EQ(charge.status, ChargeStatus::kPending) << charge.last_error;
  const std::string body = R"({"id":")" + charge.gateway_charge_id +
                           R"(","payment_status":"paid","amount":2500,"reference":")" +
                           charge.reference + R"("})";
  const std::string paths[] = {"/webhooks/atomopay", "/webhooks/atomopay/default",
                               "/webhooks/atomopay/default/" + std::string(32, 'a')};
  for (const std::string& path : paths) {
    const auto answer = Post(path, body);
    EXPECT_EQ(answer.status, 401) << path << ": " << answer.body;
    EXPECT_NE(answer.body.find("invalid_token"), std::string::npos) << answer.body;
  }
  EXPECT_EQ(StatusOf(charge), ChargeStatus::kPending);
  EXPECT_EQ(MerchantBalance("default", "BRL"), 0);
  // Kept for the audit, unverified, without an event id (no dedupe key taken).
  EXPECT_EQ(Deliveries("atomopay"),
            (std::vector<std::string>{"invalid_token/0", "invalid_token/0", "invalid_token/0"}));
  EXPECT_EQ(service_->counters().invalid_token.load(), 3u);
}

TEST_P(WebhookIntegrityTest, AForgedPaidWebhookAtTheRightUrlIsOnlyAHintAndDoesNotBlockTheReal) {
  for (std::string_view gateway : {"syncpay", "paradise", "atomopay", "pushinpay"}) {
    SCOPED_TRACE(std::string(gateway));
    const Charge charge = CreateAt(gateway, "40.00");
    // Someone who saw the callback URL posts "paid" before anyone paid: the gateway's own API,
    // asked by the confirmation job, says pending, so nothing changes.
    const auto hint = Post(CallbackPath(charge), PaidWebhook(charge, 4000));
    EXPECT_EQ(hint.status, 200) << hint.body;
    EXPECT_NE(hint.body.find("\"confirming\""), std::string::npos) << hint.body;
    ASSERT_TRUE(WaitFor([&] { return JobsSettled(); }));
    EXPECT_EQ(StatusOf(charge), ChargeStatus::kPending);
    // The real payment, later, with the very same webhook, goes through: the hint took nothing.
    ASSERT_EQ(Control(charge, "pay"), 200);
    ASSERT_TRUE(WaitForDeliveries(charge, 2));
    ASSERT_TRUE(SettleJobs());  // PushinPay: the second status query waits a minute
    EXPECT_EQ(StatusOf(charge), ChargeStatus::kPaid);
    EXPECT_EQ(service_->Get("default", charge.id)->proof, Proof::kGatewayApi);
  }
  EXPECT_EQ(MerchantBalance("default", "BRL"), 4 * 4000);
}

TEST_P(WebhookIntegrityTest, TheAmountAppliedIsTheGatewaysNotTheWebhooks) {
  const Charge charge = CreateAt("paradise", "15.00");
  ASSERT_EQ(Control(charge, "pay", R"({"deliveries":0})"), 200);
  // A webhook at the right URL claims another amount; the gateway's API says 15.00.
  const auto hint = Post(CallbackPath(charge), PaidWebhook(charge, 99));
  ASSERT_EQ(hint.status, 200) << hint.body;
  ASSERT_TRUE(WaitForStatus(charge, ChargeStatus::kPaid));
  EXPECT_EQ(service_->Get("default", charge.id)->paid_amount, std::optional<i128>(1500));
  EXPECT_EQ(MerchantBalance("default", "BRL"), 1500);
}

TEST_P(WebhookIntegrityTest, AnEarlyWebhookAtATokenOnlyGatewayDoesNotBlockTheRealOne) {
  const Charge charge = CreateAt("wiinpay", "8.00");
  // WiinPay's own "pending" first (stale: changes nothing, takes no dedupe key) ...
  const std::string pending =
      R"({"id":")" + charge.gateway_charge_id + R"(","status":"pending","value":8.00})";
  const auto early = Post(CallbackPath(charge), pending);
  EXPECT_EQ(early.status, 200);
  EXPECT_NE(early.body.find("\"stale\""), std::string::npos) << early.body;
  // ... then the payment.
  ASSERT_EQ(Control(charge, "pay"), 200);
  ASSERT_TRUE(WaitForStatus(charge, ChargeStatus::kPaid));
  const Charge paid = service_->Get("default", charge.id).value();
  EXPECT_EQ(paid.proof, Proof::kToken);  // the charge says what it was trusted on
  // A replay of the real webhook is a duplicate and books nothing twice.
  const auto replay = Post(CallbackPath(charge), PaidWebhook(charge, 800));
  EXPECT_NE(replay.body.find("\"duplicate\""), std::string::npos) << replay.body;
  EXPECT_EQ(MerchantBalance("default", "BRL"), 800);
}

TEST_P(WebhookIntegrityTest, ATokenWorksOnlyForItsOwnTenantGatewayAndTransaction) {
  ASSERT_TRUE(service_->SetGateway("acme", "wiinpay", sandbox_->Credentials("wiinpay"), 1).ok());
  const Charge theirs = CreateAt("wiinpay", "9.00", "acme");
  const Charge ours = CreateAt("wiinpay", "10.00");
  const std::string path = CallbackPath(theirs);  // /webhooks/wiinpay/acme/<token>
  const std::string token = path.substr(path.rfind('/') + 1);
  // Another tenant in the path, or another gateway: 401.
  EXPECT_EQ(Post("/webhooks/wiinpay/default/" + token, PaidWebhook(theirs, 900)).status, 401);
  EXPECT_EQ(Post("/webhooks/syncpay/acme/" + token, PaidWebhook(theirs, 900)).status, 401);
  // The right URL naming another charge's transaction: 422, neither charge moves.
  const auto mismatch = Post(path, PaidWebhook(ours, 1000));
  EXPECT_EQ(mismatch.status, 422) << mismatch.body;
  EXPECT_NE(mismatch.body.find("charge_mismatch"), std::string::npos);
  EXPECT_EQ(StatusOf(theirs), ChargeStatus::kPending);
  EXPECT_EQ(StatusOf(ours), ChargeStatus::kPending);
  EXPECT_EQ(MerchantBalance("acme", "BRL"), 0);
  EXPECT_EQ(MerchantBalance("default", "BRL"), 0);
}

TEST_P(WebhookIntegrityTest, ABadSignatureIsRefusedRecordedAndDoesNotBlockTheSignedOne) {
  const Charge charge = CreateAt("buhopago", "50.00", "default", "VES");
  const std::string body = PaidWebhook(charge, 5000);
  const auto forged = Post(CallbackPath(charge), body, {{"X-Signature", std::string(64, 'a')}});
  EXPECT_EQ(forged.status, 401) << forged.body;
  EXPECT_NE(forged.body.find("invalid_signature"), std::string::npos);
  EXPECT_EQ(Post(CallbackPath(charge), body).status, 401);  // unsigned
  EXPECT_EQ(service_->counters().bad_signature.load(), 2u);
  EXPECT_EQ(StatusOf(charge), ChargeStatus::kPending);
  EXPECT_EQ(Deliveries("buhopago"),
            (std::vector<std::string>{"invalid_signature/0", "invalid_signature/0"}));
  ASSERT_EQ(Control(charge, "pay"), 200);
  ASSERT_TRUE(WaitForStatus(charge, ChargeStatus::kPaid));
  // Malformed bodies at a good URL are refused as such.
  const Charge other = CreateAt("syncpay", "5.00");
  EXPECT_EQ(Post(CallbackPath(other), "not json").status, 400);
}

TEST_P(WebhookIntegrityTest, AWebhookBodyIsCappedAt64KiB) {
  const Charge charge = CreateAt("syncpay", "5.00");
  const auto answer = Post(CallbackPath(charge), std::string(65 << 10, ' '));
  EXPECT_EQ(answer.status, 413) << answer.body;
  EXPECT_EQ(Deliveries("syncpay"), std::vector<std::string>{});  // refused before anything
}

// A small rate for the webhooks: a burst of 3, then one a second.
class WebhookRateTest : public WebhookIntegrityTest {
 protected:
  payins::ChargeRoutesOptions RouteOptions() override {
    payins::ChargeRoutesOptions options;
    options.webhook_rate = {3, 1, 1000};
    return options;
  }
};

TEST_P(WebhookRateTest, WebhooksAreRateLimitedPerGatewayAndSource) {
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Post("/webhooks/syncpay/default/x", "{}").status, 401) << i;
  }
  const auto limited = Post("/webhooks/syncpay/default/x", "{}");
  EXPECT_EQ(limited.status, 429) << limited.body;
  EXPECT_EQ(Post("/webhooks/paradise/default/x", "{}").status, 401);  // another gateway's bucket
  clock_.AdvanceMs(1'000);
  EXPECT_EQ(Post("/webhooks/syncpay/default/x", "{}").status, 401);
  // Only what passed the limit was recorded.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM gateway_deliveries"), 5);
  // A made-up gateway in the URL buys no bucket of its own and is not recorded at all.
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(Post("/webhooks/nosuchpay" + std::to_string(i) + "/default/x", "{}").status, 404);
  }
  EXPECT_EQ(Count("SELECT COUNT(*) FROM gateway_deliveries"), 5);
}

INSTANTIATE_BACKENDS(WebhookIntegrityTest);
INSTANTIATE_BACKENDS(WebhookRateTest);

}  // namespace
}  // namespace cambista::payins
