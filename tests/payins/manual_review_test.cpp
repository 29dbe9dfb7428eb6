// MANUAL_REVIEW has a way out, over real HTTP. A payment of another amount, or after the charge
// expired, is booked to the tenant's suspense account and waits for an operator (a key holding
// `charges:review`), who accepts it (PAID, the merchant credited net of the gateway's fee) or
// refunds it (REFUND_PENDING, then REFUNDED once the manual refund is made); a refund at the
// gateway that the merchant's balance cannot cover waits too, until the merchant has the money.
// Each step is in the charge's history with its operator and reason, in the events table and at a
// subscribed webhook endpoint, and on the tenant's balances.
#include <mutex>

#include "accounting/routes.hpp"
#include "charges_api.hpp"
#include "events/event_outbox.hpp"
#include "events/webhook_delivery.hpp"
#include "events/webhook_endpoints.hpp"

namespace cambista::payins {
namespace {

using test_support::JsonAt;
using test_support::WaitFor;

class ManualReviewTest : public test_support::ChargesApiTest {
 protected:
  void SetUp() override {
    ChargesApiTest::SetUp();
    if (IsSkipped()) return;
    writer_ = Key("default", {Scope::kChargesWrite, Scope::kChargesRead, Scope::kLedgerRead});
    reviewer_ = Key("default", {Scope::kChargesReview});
  }
  void TearDown() override {
    ChargesApiTest::TearDown();  // the job workers stop before the deliverer goes
    deliverer_.reset();
    if (receiver_) receiver_->Stop(1'000);
  }
  // WiinPay keeps 1% + 0.10 of every payment.
  ChargeServiceOptions Options() override {
    ChargeServiceOptions options = ChargesApiTest::Options();
    options.fees["wiinpay"] = ParseFeeSchedule("1% + 0.10", 2).value();
    return options;
  }
  // The tenant's books, webhook endpoints and their deliveries, and a receiver for them.
  void BeforeStart() override {
    accounting::AddAccountingRoutes(router_, *gate_, *ledger_, *chart_, assets_);
    events::AddWebhookEndpointRoutes(router_, *gate_, *idempotency_, box_, db(), clock_, 3, true);
    deliverer_ =
        std::make_unique<events::WebhookDeliverer>(http_, box_, clock_, events::WebhookPolicy{});
    jobs_->Register(std::string(events::kDeliverJobKind), [this](const jobs::JobContext& context) {
      return deliverer_->Deliver(context);
    });
    // The integrator's receiver is a server of its own: not a route of Cambista's contract.
    api::HttpServerOptions options;
    options.port = 0;
    receiver_ =
        std::make_unique<api::HttpServer>(options, [this](const http::HttpRequest& request) {
          std::lock_guard lock(received_mutex_);
          received_.push_back(request);
          return http::HttpResponse{};
        });
    receiver_->Start();
  }

  Charge CreateAtWiinPay(std::string_view amount) {
    const auto created =
        Call("POST", "/v1/charges", writer_,
             R"({"amount":")" + std::string(amount) +
                 R"(","currency":"BRL","gateway":"wiinpay",)"
                 R"("customer":{"name":"Joao da Silva","email":"joao@example.com"}})");
    EXPECT_EQ(created.status, 201) << created.body;
    return ChargeOf(created);
  }
  // Pays the charge at the simulator (another amount when given) and waits for `status`.
  void PayAtGateway(const Charge& charge, std::optional<std::string_view> amount,
                    ChargeStatus status) {
    const std::string body =
        amount ? R"({"amount":")" + std::string(*amount) + R"("})" : std::string("{}");
    ASSERT_EQ(Control(charge, "pay", body), 200);
    ASSERT_TRUE(WaitForStatus(charge, status));
  }
  net::ClientResponse Resolve(const Charge& charge, const std::string& body,
                              const std::string& key = "", std::string idempotency_key = "") {
    return Call("POST", "/v1/charges/" + charge.id + "/resolve", key.empty() ? reviewer_ : key,
                body, std::move(idempotency_key));
  }
  net::ClientResponse Read(const Charge& charge) {
    return Call("GET", "/v1/charges/" + charge.id, writer_);
  }
  // One figure ("posted", "available", ...) of the tenant's account of `kind`, as GET /v1/balances
  // shows it.
  std::string Shown(std::string_view kind, std::string_view figure = "posted") {
    const auto balances = Call("GET", "/v1/balances", writer_);
    EXPECT_EQ(balances.status, 200) << balances.body;
    const int count = std::stoi(JsonAt(balances.body, "data").value_or("0"));
    for (int i = 0; i < count; ++i) {
      const std::string item = "data." + std::to_string(i) + ".";
      if (JsonAt(balances.body, item + "kind") != kind) continue;
      if (JsonAt(balances.body, item + "currency") != "BRL") continue;
      if (kind == "gateway_clearing" && JsonAt(balances.body, item + "qualifier") != "wiinpay") {
        continue;
      }
      return JsonAt(balances.body, item + std::string(figure)).value_or("");
    }
    return "absent";
  }
  // The last line of the charge's history, as GET /v1/charges/{id}/history shows it.
  std::string LastHistory(const Charge& charge, std::string_view member) {
    const auto history = Call("GET", "/v1/charges/" + charge.id + "/history", writer_);
    const int count = std::stoi(JsonAt(history.body, "data").value_or("0"));
    return JsonAt(history.body, "data." + std::to_string(count - 1) + "." + std::string(member))
        .value_or("");
  }
  int64_t Events(std::string_view type) {
    return Count("SELECT COUNT(*) FROM events WHERE type = '" + std::string(type) + "'");
  }
  // Webhook deliveries the receiver got, as "<type> <charge status>".
  std::vector<std::string> Received() {
    std::lock_guard lock(received_mutex_);
    std::vector<std::string> seen;
    for (const http::HttpRequest& request : received_) {
      seen.push_back(JsonAt(request.body, "type").value_or("?") + " " +
                     JsonAt(request.body, "data.status").value_or("?"));
    }
    return seen;
  }
  // Takes `amount` out of the merchant's account, as a payout to the merchant would.
  void Withdraw(i128 amount_minor) {
    ledger::Account payouts;
    payouts.id = 0xbeef;
    payouts.asset = "BRL";
    payouts.code = 999;
    ledger_->CreateAccounts(std::span<const ledger::Account>(&payouts, 1));
    ledger::Transfer transfer;
    transfer.id = 0xbeef00 + static_cast<u128>(++withdrawals_);
    transfer.debit_account_id = accounting::MerchantAccount("default", "BRL").Id();
    transfer.credit_account_id = payouts.id;
    transfer.amount = static_cast<u128>(amount_minor);
    transfer.asset = "BRL";
    transfer.code = 9999;
    ASSERT_TRUE(ledger_->Submit({transfer}).ok());
  }

  std::string writer_;
  std::string reviewer_;
  std::unique_ptr<events::WebhookDeliverer> deliverer_;
  std::unique_ptr<api::HttpServer> receiver_;
  std::mutex received_mutex_;
  std::vector<http::HttpRequest> received_;
  int withdrawals_ = 0;
};

TEST_P(ManualReviewTest, AnotherAmountWaitsInSuspenseUntilAnOperatorAcceptsIt) {
  const std::string hooks = Key("default", {Scope::kWebhooksWrite});
  const auto endpoint =
      Call("POST", "/v1/webhook-endpoints", hooks,
           R"({"url":"http://127.0.0.1:)" + std::to_string(receiver_->port()) +
               R"(/receiver","event_types":["charge.manual_review","charge.paid"]})");
  ASSERT_EQ(endpoint.status, 201) << endpoint.body;
  const Charge charge = CreateAtWiinPay("10.00");
  PayAtGateway(charge, "9.99", ChargeStatus::kManualReview);

  const auto review = Read(charge);
  EXPECT_EQ(JsonAt(review.body, "status"), "MANUAL_REVIEW");
  EXPECT_EQ(JsonAt(review.body, "review_reason"), "amount_mismatch");
  EXPECT_EQ(JsonAt(review.body, "paid_amount"), "9.99");
  EXPECT_EQ(JsonAt(review.body, "net_amount"), "null");
  EXPECT_EQ(Shown("suspense"), "9.99");
  EXPECT_EQ(Shown("merchant"), "0.00");
  EXPECT_EQ(Shown("gateway_clearing"), "9.99");
  EXPECT_EQ(Events("charge.manual_review"), 1);
  ASSERT_TRUE(WaitFor([&] { return Received().size() == 1; }));
  EXPECT_EQ(Received(), std::vector<std::string>{"charge.manual_review MANUAL_REVIEW"});
  for (std::string_view status : {"manual_review", "MANUAL_REVIEW", "Manual_Review"}) {
    const auto listed = Call("GET", "/v1/charges?status=" + std::string(status), writer_);
    EXPECT_EQ(JsonAt(listed.body, "data"), "1") << status << ": " << listed.body;
    EXPECT_EQ(JsonAt(listed.body, "data.0.id"), charge.id);
  }

  const std::string accept = R"({"action":"accept","reason":"paid one centavo short; accepted"})";
  const auto accepted = Resolve(charge, accept, "", "accept-1");
  ASSERT_EQ(accepted.status, 200) << accepted.body;
  EXPECT_EQ(JsonAt(accepted.body, "status"), "PAID");
  EXPECT_EQ(JsonAt(accepted.body, "review_reason"), "null");
  EXPECT_EQ(JsonAt(accepted.body, "proof"), "operator");
  EXPECT_EQ(JsonAt(accepted.body, "paid_amount"), "9.99");
  EXPECT_EQ(JsonAt(accepted.body, "fee_amount"), "0.20");  // 1% of 9.99 rounded up, + 0.10
  EXPECT_EQ(JsonAt(accepted.body, "net_amount"), "9.79");
  EXPECT_EQ(Shown("merchant"), "9.79");
  EXPECT_EQ(Shown("suspense"), "0.00");
  EXPECT_EQ(Shown("gateway_clearing"), "9.79");
  EXPECT_EQ(LastHistory(charge, "from"), "MANUAL_REVIEW");
  EXPECT_EQ(LastHistory(charge, "to"), "PAID");
  EXPECT_EQ(LastHistory(charge, "actor"), "operator:" + PrefixOf(reviewer_));
  EXPECT_EQ(LastHistory(charge, "reason"), "paid one centavo short; accepted");
  EXPECT_EQ(Events("charge.paid"), 1);
  ASSERT_TRUE(WaitFor([&] { return Received().size() == 2; }));
  EXPECT_EQ(Received()[1], "charge.paid PAID");

  // The same key and request replay the answer and book nothing again; another request under the
  // key is refused; a new key finds the charge resolved.
  const auto replayed = Resolve(charge, accept, "", "accept-1");
  EXPECT_EQ(replayed.status, 200);
  EXPECT_EQ(replayed.body, accepted.body);
  EXPECT_EQ(replayed.Header("Idempotent-Replayed"), "true");
  const auto reused =
      Resolve(charge, R"({"action":"refund","reason":"changed my mind"})", "", "accept-1");
  EXPECT_EQ(reused.status, 422);
  EXPECT_EQ(JsonAt(reused.body, "code"), "idempotency_key_reused");
  const auto again = Resolve(charge, accept);
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(JsonAt(again.body, "code"), "invalid_transition");
  EXPECT_EQ(Shown("merchant"), "9.79");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM charge_history WHERE to_status = 'PAID'"), 1);
}

TEST_P(ManualReviewTest, OnlyAReviewerWithAReasonResolvesAndOnlyAChargeUnderReview) {
  const Charge pending = CreateAtWiinPay("10.00");
  const Charge review = CreateAtWiinPay("11.00");
  PayAtGateway(review, "12.00", ChargeStatus::kManualReview);
  const std::string accept = R"({"action":"accept","reason":"ok"})";

  const std::string admin = Key("default", {Scope::kAdmin});
  const auto forbidden = Resolve(review, accept, writer_);
  EXPECT_EQ(forbidden.status, 403) << forbidden.body;
  EXPECT_EQ(Resolve(review, accept, Key("acme", {Scope::kChargesReview})).status, 404);
  for (const std::string& body :
       {std::string(R"({"action":"accept"})"), std::string(R"({"action":"accept","reason":""})"),
        std::string(R"({"action":"approve","reason":"ok"})"),
        std::string(R"({"action":"accept","reason":"ok","amount":"12.00"})")}) {
    const auto refused = Resolve(review, body);
    EXPECT_EQ(refused.status, 400) << body << ": " << refused.body;
  }
  const auto not_under_review = Resolve(pending, accept);
  EXPECT_EQ(not_under_review.status, 409) << not_under_review.body;
  EXPECT_EQ(JsonAt(not_under_review.body, "code"), "invalid_transition");
  EXPECT_EQ(Resolve(pending, R"({"action":"refunded","reason":"ok"})").status, 409);
  EXPECT_EQ(Call("POST", "/v1/charges/ch_0000/resolve", reviewer_, accept).status, 404);
  EXPECT_EQ(StatusOf(review), ChargeStatus::kManualReview);
  EXPECT_EQ(StatusOf(pending), ChargeStatus::kPending);
  EXPECT_EQ(Shown("suspense"), "12.00");
  // An admin key may do anything, this too.
  EXPECT_EQ(Resolve(review, accept, admin).status, 200);
}

TEST_P(ManualReviewTest, ARefundFromReviewWaitsInRefundPendingUntilItIsMade) {
  const Charge charge = CreateAtWiinPay("20.00");
  PayAtGateway(charge, "25.00", ChargeStatus::kManualReview);
  const auto refunding =
      Resolve(charge, R"({"action":"refund","reason":"overpaid; returning it all"})");
  ASSERT_EQ(refunding.status, 200) << refunding.body;
  EXPECT_EQ(JsonAt(refunding.body, "status"), "REFUND_PENDING");
  EXPECT_EQ(Shown("suspense"), "25.00");  // still ours to return
  EXPECT_EQ(Shown("merchant"), "0.00");
  EXPECT_EQ(LastHistory(charge, "actor"), "operator:" + PrefixOf(reviewer_));
  EXPECT_EQ(Resolve(charge, R"({"action":"accept","reason":"no"})").status, 409);
  EXPECT_EQ(Resolve(charge, R"({"action":"refund","reason":"twice"})").status, 409);

  const auto refunded =
      Resolve(charge, R"({"action":"refunded","reason":"PIX returned, E2E E123"})");
  ASSERT_EQ(refunded.status, 200) << refunded.body;
  EXPECT_EQ(JsonAt(refunded.body, "status"), "REFUNDED");
  EXPECT_EQ(Shown("suspense"), "0.00");
  EXPECT_EQ(Shown("gateway_clearing"), "0.00");  // the money went back out through the gateway
  EXPECT_EQ(Shown("merchant"), "0.00");
  EXPECT_EQ(LastHistory(charge, "reason"), "PIX returned, E2E E123");
  EXPECT_EQ(Events("charge.refund_pending"), 1);
  EXPECT_EQ(Events("charge.refunded"), 1);
}

TEST_P(ManualReviewTest, APaymentAfterExpiryWaitsInReview) {
  const Charge charge = CreateAtWiinPay("10.00");
  clock_.AdvanceMs(2 * 3'600'000);
  EXPECT_EQ(service_->ExpireDue(10), 1);
  EXPECT_EQ(StatusOf(charge), ChargeStatus::kExpired);
  PayAtGateway(charge, std::nullopt, ChargeStatus::kManualReview);
  const auto review = Read(charge);
  EXPECT_EQ(JsonAt(review.body, "review_reason"), "paid_after_close");
  EXPECT_EQ(JsonAt(review.body, "paid_amount"), "10.00");
  EXPECT_EQ(Shown("suspense"), "10.00");
  const auto accepted = Resolve(charge, R"({"action":"accept","reason":"late but fine"})");
  ASSERT_EQ(accepted.status, 200) << accepted.body;
  EXPECT_EQ(JsonAt(accepted.body, "net_amount"), "9.80");
  EXPECT_EQ(Shown("merchant"), "9.80");
  EXPECT_EQ(Shown("suspense"), "0.00");
}

TEST_P(ManualReviewTest, ARefundAtTheGatewayReversesThePaymentFeeIncluded) {
  const Charge charge = CreateAtWiinPay("10.00");
  PayAtGateway(charge, std::nullopt, ChargeStatus::kPaid);
  EXPECT_EQ(Shown("merchant"), "9.80");
  EXPECT_EQ(Shown("gateway_clearing"), "9.80");
  ASSERT_EQ(Control(charge, "refund"), 200);
  ASSERT_TRUE(WaitForStatus(charge, ChargeStatus::kRefunded));
  EXPECT_EQ(Shown("merchant"), "0.00");
  EXPECT_EQ(Shown("gateway_clearing"), "0.00");
  const auto stats = service_->Stats("default");
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].volume_paid, 0);
}

TEST_P(ManualReviewTest, ARefundTheMerchantCannotCoverWaitsUntilTheMerchantHasTheMoney) {
  const Charge refunded = CreateAtWiinPay("10.00");
  PayAtGateway(refunded, std::nullopt, ChargeStatus::kPaid);
  Withdraw(900);  // the merchant keeps 0.80 of its 9.80
  ASSERT_EQ(Control(refunded, "refund"), 200);
  ASSERT_TRUE(WaitForStatus(refunded, ChargeStatus::kManualReview));
  const auto review = Read(refunded);
  EXPECT_EQ(JsonAt(review.body, "review_reason"), "refund_uncovered");
  EXPECT_EQ(Shown("merchant"), "0.80");  // nothing booked yet
  EXPECT_EQ(Shown("suspense"), "0.00");
  EXPECT_EQ(Events("charge.manual_review"), 1);
  // Refunding again is not for this review: the gateway refunded it already.
  EXPECT_EQ(Resolve(refunded, R"({"action":"refund","reason":"no"})").status, 409);

  const std::string accept = R"({"action":"accept","reason":"refund confirmed by the gateway"})";
  const auto short_of_money = Resolve(refunded, accept);
  EXPECT_EQ(short_of_money.status, 409) << short_of_money.body;
  EXPECT_EQ(JsonAt(short_of_money.body, "code"), "insufficient_funds");
  EXPECT_EQ(StatusOf(refunded), ChargeStatus::kManualReview);

  const Charge next = CreateAtWiinPay("10.00");
  PayAtGateway(next, std::nullopt, ChargeStatus::kPaid);
  EXPECT_EQ(Shown("merchant"), "10.60");
  const auto accepted = Resolve(refunded, accept);
  ASSERT_EQ(accepted.status, 200) << accepted.body;
  EXPECT_EQ(JsonAt(accepted.body, "status"), "REFUNDED");
  EXPECT_EQ(Shown("merchant"), "0.80");  // what the refunded payment had left it
  EXPECT_EQ(Shown("gateway_clearing"), "9.80");
  EXPECT_EQ(LastHistory(refunded, "actor"), "operator:" + PrefixOf(reviewer_));
}

TEST_P(ManualReviewTest, APaymentOfNothingIsNoPayment) {
  // WiinPay's webhook is applied on the token alone: whoever holds the callback URL says "paid",
  // with a value of zero.
  const Charge charge = CreateAtWiinPay("10.00");
  const auto answer = Post(CallbackPath(charge), R"({"id":")" + charge.gateway_charge_id +
                                                     R"(","status":"paid","value":0})");
  EXPECT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(JsonAt(answer.body, "outcome"), "stale") << answer.body;
  EXPECT_EQ(StatusOf(charge), ChargeStatus::kPending);
  EXPECT_EQ(Shown("suspense"), "0.00");
  // The real payment still goes through.
  PayAtGateway(charge, std::nullopt, ChargeStatus::kPaid);
  EXPECT_EQ(Shown("merchant"), "9.80");
}

INSTANTIATE_BACKENDS(ManualReviewTest);

}  // namespace
}  // namespace cambista::payins
