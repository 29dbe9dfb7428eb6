// A gateway that is down, over real HTTP: Paradise is reached through a proxy that answers 503 when
// told to (an outage, as kUnavailable; refused credentials would be kAuth, an answer, and never
// open a breaker). After N outages in a row the tenant's breaker opens: creation falls back to the
// next gateway at once without calling Paradise, and after breaker_open_ms one trial call goes
// through. The expiry batch asks a gateway that cannot answer again later, with backoff, and goes
// on with the other charges meanwhile.
#include "charges_api.hpp"

namespace cambista::payins {
namespace {

using test_support::GatewayProxy;
using test_support::JsonAt;

constexpr int kBreakerFailures = 5;  // GatewayLaneOptions' defaults, as the fixture's lanes have
constexpr int64_t kOpenMs = 30'000;  // them
constexpr int64_t kCheckBaseMs = 30'000;  // ChargeServiceOptions::check_backoff_base_ms

class GatewayOutageTest : public test_support::ChargesApiTest {
 protected:
  void SetUp() override {
    proxy_ = std::make_unique<GatewayProxy>(http_, [this] { return base_url_; });
    ChargesApiTest::SetUp();
  }
  void TearDown() override {
    if (proxy_) proxy_->Stop();
    ChargesApiTest::TearDown();
    proxy_.reset();
  }
  std::string GatewayBaseUrl(std::string_view gateway) override {
    if (gateway == "paradise") return proxy_->url() + "/sandbox/paradise";
    return ChargesApiTest::GatewayBaseUrl(gateway);
  }

  // POST /v1/charges for `tenant` at its gateways in priority order: the gateway that took it and
  // the earlier failures it reports.
  std::pair<std::string, std::string> Create(const std::string& key) {
    const auto created = Call("POST", "/v1/charges", key, R"({"amount":"10.00","currency":"BRL"})");
    EXPECT_EQ(created.status, 201) << created.body;
    return {JsonAt(created.body, "gateway").value_or(""),
            JsonAt(created.body, "last_error").value_or("")};
  }

  std::unique_ptr<GatewayProxy> proxy_;
};

TEST_P(GatewayOutageTest, AfterNOutagesTheBreakerOpensAndCreationFallsBackWithoutCallingIt) {
  ASSERT_TRUE(service_->SetGateway("acme", "paradise", sandbox_->Credentials("paradise"), 1).ok());
  ASSERT_TRUE(service_->SetGateway("acme", "syncpay", sandbox_->Credentials("syncpay"), 2).ok());
  const std::string key = Key("acme", {Scope::kChargesWrite});
  proxy_->SetMode(GatewayProxy::Mode::kFail);
  for (int i = 1; i <= kBreakerFailures; ++i) {
    const auto [gateway, error] = Create(key);
    EXPECT_EQ(gateway, "syncpay");
    EXPECT_NE(error.find("paradise: unavailable"), std::string::npos) << error;
    EXPECT_EQ(proxy_->calls(), i);
  }
  EXPECT_EQ(lanes_.State("acme", "paradise"), BreakerState::kOpen);

  // Open: Paradise is not called; the charge goes to SyncPay at once.
  const auto [open_gateway, open_error] = Create(key);
  EXPECT_EQ(open_gateway, "syncpay");
  EXPECT_NE(open_error.find("circuit open"), std::string::npos) << open_error;
  EXPECT_EQ(proxy_->calls(), kBreakerFailures);
  // Only this tenant's breaker: another's Paradise is called as usual.
  proxy_->SetMode(GatewayProxy::Mode::kPass);
  EXPECT_EQ(lanes_.State("default", "paradise"), BreakerState::kClosed);
  EXPECT_EQ(CreateAt("paradise", "10.00").status, ChargeStatus::kPending);
  EXPECT_EQ(proxy_->calls(), kBreakerFailures + 1);
  EXPECT_EQ(Create(key).first, "syncpay");  // acme's is still open
  EXPECT_EQ(proxy_->calls(), kBreakerFailures + 1);

  // After the pause one trial goes through; it fails, and the breaker opens again.
  clock_.AdvanceMs(kOpenMs);
  EXPECT_EQ(lanes_.State("acme", "paradise"), BreakerState::kHalfOpen);
  proxy_->SetMode(GatewayProxy::Mode::kFail);
  EXPECT_EQ(Create(key).first, "syncpay");
  EXPECT_EQ(proxy_->calls(), kBreakerFailures + 2);
  EXPECT_EQ(lanes_.State("acme", "paradise"), BreakerState::kOpen);
  EXPECT_EQ(Create(key).first, "syncpay");
  EXPECT_EQ(proxy_->calls(), kBreakerFailures + 2);

  // After another pause the trial succeeds: closed, and Paradise takes the charges again.
  clock_.AdvanceMs(kOpenMs);
  proxy_->SetMode(GatewayProxy::Mode::kPass);
  const auto [back, back_error] = Create(key);
  EXPECT_EQ(back, "paradise");
  EXPECT_EQ(back_error, "null");
  EXPECT_EQ(lanes_.State("acme", "paradise"), BreakerState::kClosed);
  EXPECT_EQ(Create(key).first, "paradise");
  EXPECT_EQ(proxy_->calls(), kBreakerFailures + 4);
}

TEST_P(GatewayOutageTest, RefusedCredentialsAreAnAnswerAndNeverOpenTheBreaker) {
  Credentials wrong = sandbox_->Credentials("paradise");
  for (auto& [name, value] : wrong) value = "wrong-" + value;
  ASSERT_TRUE(service_->SetGateway("acme", "paradise", wrong, 1).ok());
  ASSERT_TRUE(service_->SetGateway("acme", "syncpay", sandbox_->Credentials("syncpay"), 2).ok());
  const std::string key = Key("acme", {Scope::kChargesWrite});
  for (int i = 1; i <= 2 * kBreakerFailures; ++i) {
    const auto [gateway, error] = Create(key);
    EXPECT_EQ(gateway, "syncpay");
    EXPECT_NE(error.find("paradise: auth"), std::string::npos) << error;
  }
  EXPECT_EQ(proxy_->calls(), 2 * kBreakerFailures);  // every one was asked
  EXPECT_EQ(lanes_.State("acme", "paradise"), BreakerState::kClosed);
}

TEST_P(GatewayOutageTest, ExpiryAsksAGatewayThatCannotAnswerLaterAndGoesOnWithTheOthers) {
  const Charge lost = CreateAt("paradise", "5.00");
  const Charge unpaid = CreateAt("syncpay", "6.00");
  const Charge silent = CreateAt("paradise", "7.00");
  ASSERT_EQ(Control(lost, "pay", R"({"deliveries":0})"), 200);  // its webhook never comes
  clock_.AdvanceMs(2 * 3'600'000);
  proxy_->SetMode(GatewayProxy::Mode::kFail);
  const int64_t down_at_ms = clock_.NowMs();

  // One at a time: Paradise cannot say, so the charge waits and the next one is taken.
  EXPECT_EQ(service_->ExpireDue(1), 1);
  const Charge waiting = service_->Get("default", lost.id).value();
  EXPECT_EQ(waiting.status, ChargeStatus::kPending);
  EXPECT_EQ(waiting.check_failures, 1);
  EXPECT_EQ(waiting.next_check_at_ms, down_at_ms + kCheckBaseMs);
  EXPECT_EQ(service_->ExpireDue(1), 1);
  EXPECT_EQ(StatusOf(unpaid), ChargeStatus::kExpired);
  EXPECT_EQ(service_->ExpireDue(10), 1);  // the other Paradise charge waits too
  EXPECT_EQ(StatusOf(silent), ChargeStatus::kPending);
  EXPECT_EQ(service_->ExpireDue(10), 0);  // nothing is due until the backoff passes

  // Still down: the wait doubles.
  clock_.AdvanceMs(kCheckBaseMs);
  EXPECT_EQ(service_->ExpireDue(10), 2);
  const Charge again = service_->Get("default", lost.id).value();
  EXPECT_EQ(again.check_failures, 2);
  EXPECT_EQ(again.next_check_at_ms, clock_.NowMs() + 2 * kCheckBaseMs);
  clock_.AdvanceMs(2 * kCheckBaseMs - 1);
  EXPECT_EQ(service_->ExpireDue(10), 0);

  // Back up: the payment whose webhook was lost is found, the other charge expires.
  clock_.AdvanceMs(1);
  proxy_->SetMode(GatewayProxy::Mode::kPass);
  EXPECT_EQ(service_->ExpireDue(10), 2);
  EXPECT_EQ(StatusOf(lost), ChargeStatus::kPaid);
  EXPECT_EQ(StatusOf(silent), ChargeStatus::kExpired);
  EXPECT_EQ(service_->ExpireDue(10), 0);
  EXPECT_EQ(MerchantBalance("default", "BRL"), 500);
  EXPECT_EQ(lanes_.State("default", "paradise"), BreakerState::kClosed);  // 4 outages: below N
}

INSTANTIATE_BACKENDS(GatewayOutageTest);

}  // namespace
}  // namespace cambista::payins
