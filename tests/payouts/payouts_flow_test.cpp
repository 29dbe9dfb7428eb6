// Payouts end to end over real HTTP against the Heleket simulator (the whole server in process, on
// each backend): the amount is held at creation and nothing is sent without funds; a payout
// reaches the provider once however often it is asked for; it is confirmed only on the
// provider's own API, with the provider's commission booked; a create that times out after the
// provider accepted it is resolved by asking, never by sending again; callbacks are hints, and a
// forged one changes nothing; four-eyes approval with the approver's TOTP; a rejection voids the
// hold. `ledger verify` passes after each.
#include <chrono>
#include <thread>

#include <set>

#include "ledger/auditor.hpp"
#include "payouts/reconciliation.hpp"
#include "payouts_server_fixture.hpp"
#include "providers/heleket/heleket_sign.hpp"
#include "providers/heleket/heleket_simulator.hpp"
#include "providers/payout_providers.hpp"
#include "security/totp.hpp"

namespace cambista::app {
namespace {

constexpr std::string_view kTron = "TNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeL";

class PayoutsFlowTest : public PayoutsServerTest {
 protected:
  void Configure(Config& config) override {
    config.module_values["payouts.approval_thresholds.USDT"] = "100";
  }
  std::string PayoutBody(std::string_view amount) const {
    return R"({"customer":"c1","asset":"USDT","amount":")" + std::string(amount) +
           R"(","origin":"manual","destination":{"kind":"crypto_address","network":"TRON",)"
           R"("address":")" +
           std::string(kTron) + R"("}})";
  }
  void Fund(std::string_view customer_amount, std::string_view float_amount) {
    ASSERT_EQ(Send("PUT", "/v1/customers/c1", writer_, R"({"name":"Ana"})").status / 100, 2);
    for (const auto& [account, amount] :
         {std::pair{"customer:c1", customer_amount}, std::pair{"provider:heleket", float_amount}}) {
      const Reply funded =
          Deposit(R"({"account":")" + std::string(account) + R"(","asset":"USDT","amount":")" +
                  std::string(amount) + R"(","reference":"fund-)" + std::string(account) + "\"}");
      ASSERT_EQ(funded.status, 201) << funded.body;
    }
  }
  // Polls the payout until it reaches `status` (the jobs run on their own threads).
  Reply WaitFor(const std::string& id, std::string_view status) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    Reply payout = Send("GET", "/v1/payouts/" + id, writer_);
    while (payout.Field("status") != status && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      payout = Send("GET", "/v1/payouts/" + id, writer_);
    }
    EXPECT_EQ(payout.Field("status"), status) << payout.body;
    return payout;
  }
  // How many payouts the simulator holds under this order_id.
  int AtProvider(const std::string& reference) {
    const std::string body = Send("GET", "/sandbox/heleket/payouts", "").body;
    int count = 0;
    for (size_t at = body.find("\"order_id\":\"" + reference + "\""); at != std::string::npos;
         at = body.find("\"order_id\":\"" + reference + "\"", at + 1)) {
      ++count;
    }
    return count;
  }
  std::string Balance(std::string_view kind, std::string_view qualifier) {
    const std::string body = Send("GET", "/v1/balances", admin_).body;
    const std::string key = R"("kind":")" + std::string(kind) + R"(","qualifier":")" +
                            std::string(qualifier) + R"(","currency":"USDT")";
    const size_t at = body.find(key);
    if (at == std::string::npos) return "";
    const size_t posted = body.find("\"posted\":\"", at) + 10;
    return body.substr(posted, body.find('"', posted) - posted);
  }
  void ExpectLedgerConsistent() {
    auto connection = db().Connect();
    const ledger::AuditReport report = ledger::AuditLedger(*connection);
    EXPECT_TRUE(report.consistent()) << report.ToJson();
  }
  // A key with payouts:approve and an enrolled TOTP; returns the key and its secret.
  std::pair<std::string, TotpSecret> Approver() {
    const std::string key = server_->keys().Create("default", ScopeSet{Scope::kPayoutsApprove});
    const auto uri = server_->keys().EnrollTotp(key.substr(4, 8));
    EXPECT_TRUE(uri.has_value());
    const size_t at = uri->find("secret=") + 7;
    return {key, TotpSecret::FromBase32(uri->substr(at, uri->find('&', at) - at)).value()};
  }
  static std::string Code(const TotpSecret& secret) {
    return TotpCode(secret, std::chrono::duration_cast<std::chrono::seconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count());
  }
};

TEST_P(PayoutsFlowTest, APayoutIsHeldSentOnceAndConfirmedOnTheProvidersWord) {
  Fund("50", "100");
  const Reply made = Send("POST", "/v1/payouts", writer_, PayoutBody("10"), "flow-1");
  ASSERT_EQ(made.status, 201) << made.body;
  EXPECT_EQ(made.Field("provider"), "heleket");
  EXPECT_EQ(Balance("customer", "c1"), "50.000000");  // held, not yet posted
  const std::string id = made.Field("id");
  const Reply again = Send("POST", "/v1/payouts", writer_, PayoutBody("10"), "flow-1");
  EXPECT_EQ(again.Field("id"), id);

  const Reply confirmed = WaitFor(id, "CONFIRMED");
  EXPECT_EQ(AtProvider(confirmed.Field("provider_reference")), 1);
  EXPECT_NE(confirmed.Field("txid"), "");
  const std::string commission = confirmed.Field("commission");
  ASSERT_FALSE(commission.empty()) << confirmed.body;
  EXPECT_EQ(Balance("customer", "c1"), "40.000000");
  EXPECT_EQ(Balance("provider_fees", "heleket"), commission);
  // The float paid the amount and the commission.
  const Asset usdt = AssetRegistry::WithBuiltins().Find("USDT").value();
  const i128 commission_minor = Amount::Parse(commission, usdt).value().minor();
  EXPECT_EQ(Balance("provider_float", "heleket"),
            Amount(90'000'000 - commission_minor, usdt).ToString());
  const Reply stats = Send("GET", "/v1/stats/payouts", writer_);
  ASSERT_EQ(stats.status, 200) << stats.body;
  EXPECT_NE(stats.body.find(R"("provider":"heleket","count":1,"confirmed":1,"failed":0,)"
                            R"("volume":{"USDT":"10.000000"},"success_rate_bp":10000,)"),
            std::string::npos)
      << stats.body;
  EXPECT_EQ(Send("GET", "/v1/stats/payouts?from=5&to=4", writer_).status, 400);
  EXPECT_NE(Send("GET", "/v1/stats/payouts?to=1", writer_).body.find(R"("providers":[])"),
            std::string::npos);
  for (const char* step :
       {R"("to":"REQUESTED")", R"("from":"REQUESTED","to":"UNKNOWN")", R"("to":"CONFIRMED")"}) {
    EXPECT_NE(confirmed.body.find(step), std::string::npos) << step << " in " << confirmed.body;
  }
  ExpectLedgerConsistent();
}

TEST_P(PayoutsFlowTest, WithoutFundsNothingIsSentOrKept) {
  Fund("5", "50");
  const Reply customer_short = Send("POST", "/v1/payouts", writer_, PayoutBody("10"), "short-1");
  EXPECT_EQ(customer_short.status, 409) << customer_short.body;
  EXPECT_EQ(customer_short.Field("code"), "insufficient_funds");
  ASSERT_EQ(
      Deposit(R"({"account":"customer:c1","asset":"USDT","amount":"500","reference":"r2"})").status,
      201);
  const Reply float_short = Send("POST", "/v1/payouts", writer_, PayoutBody("60"), "short-2");
  EXPECT_EQ(float_short.status, 409) << float_short.body;
  EXPECT_EQ(float_short.Field("code"), "insufficient_funds");
  EXPECT_NE(Send("GET", "/v1/payouts", writer_).body.find(R"("data":[])"), std::string::npos);
  EXPECT_NE(Send("GET", "/sandbox/heleket/payouts", "").body.find(R"("data":[])"),
            std::string::npos);
  EXPECT_EQ(Balance("customer", "c1"), "505.000000");
  const Reply too_small = Send("POST", "/v1/payouts", writer_, PayoutBody("0.5"), "short-3");
  EXPECT_EQ(too_small.status, 400) << too_small.body;
  EXPECT_EQ(too_small.Field("code"), "invalid_amount");
  ExpectLedgerConsistent();
}

TEST_P(PayoutsFlowTest, ACustomersPayoutNeverGoesToAProviderThatPaysOnlyTheDesk) {
  // BuhoPago's credits go to the desk's registered bank account, whatever the destination says.
  ASSERT_EQ(Send("PUT", "/v1/customers/c1", writer_, R"({"name":"Ana"})").status, 201);
  const std::string body =
      R"({"customer":"c1","asset":"VES","amount":"500.00","origin":"manual",)"
      R"("destination":{"kind":"ves_bank","bank":"0102","account":"01020123450123456789",)"
      R"("document":"V12345678"}})";
  const Reply any = Send("POST", "/v1/payouts", writer_, body, "ves-1");
  EXPECT_EQ(any.status, 404) << any.body;
  EXPECT_EQ(any.Field("code"), "unknown_provider");
  const Reply named = Send("POST", "/v1/payouts", writer_,
                           body.substr(0, body.size() - 1) + R"(,"provider":"buhopago"})", "ves-2");
  EXPECT_EQ(named.status, 404) << named.body;
  EXPECT_EQ(named.Field("field"), "provider");
}

TEST_P(PayoutsFlowTest, ApprovalNeedsAnotherKeyWithItsTotpAndARejectionVoidsTheHold) {
  Fund("500", "500");
  const std::string both =
      server_->keys().Create("default", ScopeSet{Scope::kPayoutsWrite, Scope::kPayoutsApprove});
  const Reply made = Send("POST", "/v1/payouts", both, PayoutBody("150"), "four-eyes-1");
  ASSERT_EQ(made.status, 201) << made.body;
  EXPECT_EQ(made.Field("status"), "AWAITING_APPROVAL");
  const std::string path = "/v1/payouts/" + made.Field("id");
  EXPECT_EQ(AtProvider(made.Field("provider_reference")), 0);
  // The creator's own key, even with the scope and a right code.
  const auto own_totp = server_->keys().EnrollTotp(both.substr(4, 8));
  ASSERT_TRUE(own_totp.has_value());
  const size_t at = own_totp->find("secret=") + 7;
  const TotpSecret own =
      TotpSecret::FromBase32(own_totp->substr(at, own_totp->find('&', at) - at)).value();
  const Reply by_creator =
      Send("POST", path + "/approve", both, R"({"totp":")" + Code(own) + R"("})");
  EXPECT_EQ(by_creator.status, 403) << by_creator.body;
  EXPECT_EQ(by_creator.Field("code"), "approval_refused");
  EXPECT_EQ(Send("POST", path + "/approve", writer_, R"({"totp":"123456"})").status, 403);
  const auto [approver, secret] = Approver();
  const Reply wrong = Send("POST", path + "/approve", approver, R"({"totp":"000000"})");
  EXPECT_EQ(wrong.Field("code"), "approval_refused");
  const Reply approved =
      Send("POST", path + "/approve", approver, R"({"totp":")" + Code(secret) + R"("})");
  ASSERT_EQ(approved.status, 200) << approved.body;
  EXPECT_EQ(approved.Field("status"), "REQUESTED");
  WaitFor(made.Field("id"), "CONFIRMED");

  const Reply second = Send("POST", "/v1/payouts", writer_, PayoutBody("200"), "four-eyes-2");
  ASSERT_EQ(second.Field("status"), "AWAITING_APPROVAL");
  std::this_thread::sleep_for(std::chrono::milliseconds(1'100));  // the next TOTP step: one use
  const auto [rejecter, rejecter_secret] = Approver();
  const Reply rejected = Send("POST", "/v1/payouts/" + second.Field("id") + "/reject", rejecter,
                              R"({"totp":")" + Code(rejecter_secret) + R"("})");
  ASSERT_EQ(rejected.status, 200) << rejected.body;
  EXPECT_EQ(rejected.Field("status"), "REJECTED");
  EXPECT_EQ(Send("POST", "/v1/payouts/" + second.Field("id") + "/cancel", writer_).status, 409);
  EXPECT_EQ(Balance("customer", "c1"), "350.000000");  // the 150 paid; the 200 released
  const Reply history = Send("GET", "/v1/payouts/" + second.Field("id"), writer_);
  EXPECT_NE(history.body.find(R"("actor":"approver:)"), std::string::npos) << history.body;
  ExpectLedgerConsistent();
}

// The providers' deadline cut to 4 s, so that a 9 s fault outlasts it (the others keep the default
// 10 s: on a loaded machine a create must be able to arrive, since one that never did stays
// UNKNOWN, by design).
class PayoutsTimeoutTest : public PayoutsFlowTest {
 protected:
  void Configure(Config& config) override {
    PayoutsFlowTest::Configure(config);
    config.webhook_timeout_ms = 4'000;
  }
};

TEST_P(PayoutsTimeoutTest, ATimeoutAfterTheProviderAcceptedIsResolvedByAskingNotBySendingAgain) {
  Fund("500", "500");
  // The simulator settles only on command: the payout's fate is the timeout's.
  ASSERT_EQ(Send("POST", "/sandbox/heleket/settings", "", R"({"auto_settle_ms":0})").status, 200);
  const Reply made = Send("POST", "/v1/payouts", writer_, PayoutBody("150"), "timeout-1");
  ASSERT_EQ(made.Field("status"), "AWAITING_APPROVAL");
  const std::string reference = made.Field("provider_reference");
  // The simulator records the create, then answers after the 4 s deadline.
  ASSERT_EQ(Send("POST", "/sandbox/heleket/faults", "",
                 R"({"order_id":")" + reference + R"(","answer_delay_ms":9000})")
                .status,
            200);
  const auto [approver, secret] = Approver();
  ASSERT_EQ(Send("POST", "/v1/payouts/" + made.Field("id") + "/approve", approver,
                 R"({"totp":")" + Code(secret) + R"("})")
                .status,
            200);
  // The answer is lost; asking the provider (the track job) finds the payout there.
  const Reply submitted = WaitFor(made.Field("id"), "SUBMITTED");
  EXPECT_NE(submitted.body.find(R"("from":"UNKNOWN","to":"SUBMITTED","actor":"provider:heleket")"),
            std::string::npos)
      << submitted.body;
  ASSERT_EQ(Send("POST", "/sandbox/heleket/payouts/" + reference + "/paid", "", "{}").status, 200);
  WaitFor(made.Field("id"), "CONFIRMED");
  EXPECT_EQ(AtProvider(reference), 1);
  const std::string held = Send("GET", "/sandbox/heleket/payouts/" + reference, "").body;
  EXPECT_NE(held.find(R"("create_requests":1)"), std::string::npos) << held;  // never sent again
  ExpectLedgerConsistent();
}

TEST_P(PayoutsFlowTest, CallbacksBeforeTheAnswerTwiceAndOutOfOrderConfirmItOnce) {
  Fund("500", "500");
  const Reply made = Send("POST", "/v1/payouts", writer_, PayoutBody("150"), "early-1");
  ASSERT_EQ(made.Field("status"), "AWAITING_APPROVAL");
  const std::string reference = made.Field("provider_reference");
  // The process callback comes before the create is answered; the paid one twice, then a stale
  // process after it.
  ASSERT_EQ(Send("POST", "/sandbox/heleket/faults", "",
                 R"({"order_id":")" + reference +
                     R"(","callback_before_answer":true,"deliveries":2,"out_of_order":true})")
                .status,
            200);
  const auto [approver, secret] = Approver();
  ASSERT_EQ(Send("POST", "/v1/payouts/" + made.Field("id") + "/approve", approver,
                 R"({"totp":")" + Code(secret) + R"("})")
                .status,
            200);
  const Reply confirmed = WaitFor(made.Field("id"), "CONFIRMED");
  std::this_thread::sleep_for(std::chrono::milliseconds(1'500));  // the late callbacks land
  const Reply after = Send("GET", "/v1/payouts/" + made.Field("id"), writer_);
  EXPECT_EQ(after.Field("status"), "CONFIRMED");
  size_t confirmations = 0;
  for (size_t at = after.body.find(R"("to":"CONFIRMED")"); at != std::string::npos;
       at = after.body.find(R"("to":"CONFIRMED")", at + 1)) {
    ++confirmations;
  }
  EXPECT_EQ(confirmations, 1u) << after.body;
  EXPECT_EQ(AtProvider(reference), 1);
  EXPECT_EQ(Balance("customer", "c1"), "350.000000");
  ExpectLedgerConsistent();
}

TEST_P(PayoutsFlowTest, ForgedCallbacksChangeNothingAndUnknownOnesAreOnlyAcknowledged) {
  const std::string unsigned_json =
      R"({"type":"payout","uuid":"6b6d2c5e-0000-4000-8000-000000000001","order_id":"nosuch",)"
      R"("amount":"10.00000000","commission":"1.00000000","is_final":true,"status":"paid",)"
      R"("txid":"abc","network":"tron","currency":"USDT"})";
  const std::string forged = payouts::HeleketSignCallback(unsigned_json, "not-the-key");
  const Reply refused = Send("POST", "/callbacks/payouts/heleket", "", forged);
  EXPECT_EQ(refused.status, 401) << refused.body;
  const std::string signed_json =
      payouts::HeleketSignCallback(unsigned_json, sandbox::kSandboxHeleketPayoutApiKey);
  const Reply unknown = Send("POST", "/callbacks/payouts/heleket", "", signed_json);
  EXPECT_EQ(unknown.status, 200) << unknown.body;
  EXPECT_EQ(unknown.Field("outcome"), "unknown_payout");
  EXPECT_EQ(Send("POST", "/callbacks/payouts/nosuch", "", signed_json).status, 404);
}

TEST_P(PayoutsFlowTest, AReconciliationRunFindsPlantedMismatchesAndChangesNothing) {
  Fund("50", "100");
  const Reply made = Send("POST", "/v1/payouts", writer_, PayoutBody("10"), "reconcile-1");
  ASSERT_EQ(made.status, 201) << made.body;
  WaitFor(made.Field("id"), "CONFIRMED");
  const net::HttpClient http;
  SystemClock clock;
  const auto credentials = sandbox::HeleketSandboxCredentials();
  auto provider = providers::BuildPayoutProvider(
      "heleket", payouts::Credentials(credentials.begin(), credentials.end()),
      payouts::ProviderContext{&http, &clock, server_->url() + "/sandbox/heleket", 10'000});
  ASSERT_TRUE(provider.ok());
  const AssetRegistry assets = AssetRegistry::WithBuiltins();
  payouts::ReconcileOptions options;
  options.since_ms = clock.NowMs() - 3'600'000;
  auto clean = payouts::Reconcile(db(), *provider.value(), assets, clock, options);
  ASSERT_TRUE(clean.ok()) << clean.error().message;
  EXPECT_TRUE(clean.value().empty());

  // Planted: a payout at the provider we never made, and our amount changed behind its back.
  const payouts::PayoutRequest planted{
      "planted1", Amount::Parse("3", assets.Find("USDT").value()).value(),
      payouts::ValidateDestination({"crypto_address", "TRON", std::string(kTron), {}, {}, {}, {}})
          .value(),
      server_->url() + "/callbacks/payouts/heleket"};
  ASSERT_TRUE(provider.value()->Create(planted).ok());
  auto connection = db().Connect();
  connection->Execute("UPDATE payouts SET amount = amount + 1 WHERE id = $1",
                      {std::string_view(made.Field("id"))});
  auto found = payouts::Reconcile(db(), *provider.value(), assets, clock, options);
  ASSERT_TRUE(found.ok());
  std::set<std::string> kinds;
  for (const payouts::Mismatch& m : found.value()) kinds.insert(m.kind + ":" + m.reference);
  EXPECT_EQ(kinds, (std::set<std::string>{"missing_here:planted1",
                                          "amount_differs:" + made.Field("provider_reference")}));
  EXPECT_EQ(Send("GET", "/v1/payouts/" + made.Field("id"), writer_).Field("status"), "CONFIRMED");
}

INSTANTIATE_BACKENDS(PayoutsFlowTest);
INSTANTIATE_BACKENDS(PayoutsTimeoutTest);

}  // namespace
}  // namespace cambista::app
