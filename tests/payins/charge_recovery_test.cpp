// A charge never stays CREATING. A process that stops while calling the gateway leaves its charge
// CREATING (written by ChargeStore::InsertCreating, with the hash of its callback token, exactly as
// ChargeService::CreateAsync writes it before the call); a retry of its Idempotency-Key answers 409
// `charge_creating` until creating_stale_ms has passed, then the charge is FAILED and the retry
// says so; the `charges.recover` batch fails the stale ones nobody retries; and a gateway that
// answers after that changes nothing.
#include <future>

#include "charges_api.hpp"
#include "ledger/ids.hpp"
#include "payins/store.hpp"

namespace cambista::payins {
namespace {

using test_support::GatewayProxy;
using test_support::JsonAt;
using test_support::WaitFor;

constexpr int64_t kStaleMs = 90'000;  // ChargeServiceOptions::creating_stale_ms, the default

class ChargeRecoveryTest : public test_support::ChargesApiTest {
 protected:
  void SetUp() override {
    // WiinPay is reached through a proxy that can hold its answer (the proxy exists before the
    // fixture builds adapters).
    proxy_ = std::make_unique<GatewayProxy>(http_, [this] { return base_url_; });
    ChargesApiTest::SetUp();
  }
  void TearDown() override {
    if (proxy_) proxy_->Stop();  // lets a held call finish before the lanes stop
    ChargesApiTest::TearDown();
    proxy_.reset();
  }
  std::string GatewayBaseUrl(std::string_view gateway) override {
    if (gateway == "wiinpay") return proxy_->url() + "/sandbox/wiinpay";
    return ChargesApiTest::GatewayBaseUrl(gateway);
  }

  NewCharge Request(std::optional<std::string> gateway = std::nullopt) {
    NewCharge request{std::move(gateway), Money("12.50"), "Pedido 9", "", {}, 3600};
    request.customer = Customer{"Joao da Silva", "12345678909", "joao@example.com", "+5511999"};
    return request;
  }
  // The row a process leaves when it stops between writing the charge and hearing the gateway.
  Charge Crash(std::string_view idempotency_key, std::string tenant = "default") {
    Charge charge;
    charge.id = "ch_" + ToHex32(ledger::TimeOrderedId(clock_));
    charge.tenant = std::move(tenant);
    charge.reference = charge.id;
    charge.currency = "BRL";
    charge.amount = 1250;
    charge.description = "Pedido 9";
    charge.customer_json = R"({"name":"","document":"","email":"","phone":""})";
    charge.created_at_ms = charge.updated_at_ms = clock_.NowMs();
    charge.expires_at_ms = charge.created_at_ms + 3'600'000;
    auto connection = db().Connect();
    store::Transaction tx(*connection, store::TransactionMode::kWrite);
    ChargeStore::InsertCreating(*connection, charge, idempotency_key,
                                HexEncode(Sha256(HexEncode(RandomBytes(16)))));
    ChargeStore::AppendHistory(*connection, charge.id, std::nullopt, ChargeStatus::kCreating, "api",
                               "created", charge.created_at_ms);
    tx.Commit();
    return charge;
  }
  std::vector<ChargeHistoryEntry> HistoryOf(const Charge& charge) {
    return service_->History(charge.tenant, charge.id).value_or(std::vector<ChargeHistoryEntry>{});
  }
  static void ExpectFailed(const Result<Charge, ChargeError>& retry, const Charge& charge) {
    ASSERT_FALSE(retry.ok());
    EXPECT_EQ(retry.error().kind, ChargeErrorKind::kGatewayFailed);
    EXPECT_NE(retry.error().detail.find(charge.id), std::string::npos) << retry.error().detail;
  }

  std::unique_ptr<GatewayProxy> proxy_;
};

TEST_P(ChargeRecoveryTest, ARetryIs409UntilTheCreationIsStaleThenTheChargeIsFailed) {
  const std::vector<int> before = ChargesAtEveryGateway();
  const Charge crashed = Crash("crashed-1");
  for (int64_t wait_ms : {int64_t{0}, kStaleMs}) {
    clock_.AdvanceMs(wait_ms);
    const auto retry = service_->Create("default", "crashed-1", Request());
    ASSERT_FALSE(retry.ok());
    EXPECT_EQ(retry.error().kind, ChargeErrorKind::kChargeCreating);
    EXPECT_NE(retry.error().detail.find(crashed.id), std::string::npos);
    EXPECT_EQ(StatusOf(crashed), ChargeStatus::kCreating);
  }
  clock_.AdvanceMs(1);  // now older than creating_stale_ms
  ExpectFailed(service_->Create("default", "crashed-1", Request()), crashed);
  const Charge failed = service_->Get("default", crashed.id).value();
  EXPECT_EQ(failed.status, ChargeStatus::kFailed);
  EXPECT_NE(failed.last_error.find("interrupted"), std::string::npos) << failed.last_error;
  const auto history = HistoryOf(crashed);
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[1].from, ChargeStatus::kCreating);
  EXPECT_EQ(history[1].to, ChargeStatus::kFailed);
  EXPECT_NE(history[1].reason.find("interrupted"), std::string::npos) << history[1].reason;
  // Later retries say the same of the same charge; no new charge, no gateway called.
  ExpectFailed(service_->Create("default", "crashed-1", Request()), crashed);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM charges"), 1);
  EXPECT_EQ(ChargesAtEveryGateway(), before);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM charge_history WHERE to_status = 'FAILED'"), 1);
}

TEST_P(ChargeRecoveryTest, TheRecoveryBatchFailsOnlyStaleCreations) {
  const Charge older = Crash("crashed-old");
  clock_.AdvanceMs(60'000);
  const Charge newer = Crash("crashed-new", "acme");
  clock_.AdvanceMs(kStaleMs - 60'000 + 1);  // the older is stale, the newer 30 s old
  EXPECT_EQ(service_->RecoverCreating(10), 1);
  EXPECT_EQ(StatusOf(older), ChargeStatus::kFailed);
  EXPECT_EQ(StatusOf(newer), ChargeStatus::kCreating);
  EXPECT_EQ(service_->RecoverCreating(10), 0);  // nothing else is stale
  clock_.AdvanceMs(60'000);
  EXPECT_EQ(service_->RecoverCreating(1), 1);
  EXPECT_EQ(StatusOf(newer), ChargeStatus::kFailed);
  EXPECT_NE(service_->Get("acme", newer.id)->last_error.find("cannot be searched"),
            std::string::npos);
  // A retry of the key after the batch answers what the batch decided.
  ExpectFailed(service_->Create("default", "crashed-old", Request()), older);
  ExpectFailed(service_->Create("acme", "crashed-new", Request()), newer);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM charges WHERE status = 'CREATING'"), 0);
}

TEST_P(ChargeRecoveryTest, AGatewayAnsweringAfterTheChargeFailedLeavesItFailed) {
  const int at_wiinpay = ChargesAt("wiinpay");
  proxy_->SetMode(GatewayProxy::Mode::kHold);
  std::promise<Result<Charge, ChargeError>> answered;
  service_->CreateAsync(
      "default", "late-1", Request("wiinpay"),
      [&answered](Result<Charge, ChargeError> result) { answered.set_value(std::move(result)); });
  ASSERT_TRUE(WaitFor([&] { return proxy_->held() == 1; }));  // the gateway has the call
  std::string id;
  auto connection = db().Connect();
  connection->Query("SELECT id FROM charges WHERE idempotency_key = 'late-1'", {},
                    [&id](const store::Row& row) { id = std::string(row.Text(0)); });
  const Charge creating = service_->Get("default", id).value();
  EXPECT_EQ(creating.status, ChargeStatus::kCreating);
  const auto meanwhile = service_->Create("default", "late-1", Request("wiinpay"));
  ASSERT_FALSE(meanwhile.ok());
  EXPECT_EQ(meanwhile.error().kind, ChargeErrorKind::kChargeCreating);

  clock_.AdvanceMs(kStaleMs + 1);
  EXPECT_EQ(service_->RecoverCreating(10), 1);
  EXPECT_EQ(StatusOf(creating), ChargeStatus::kFailed);
  proxy_->Release();  // the gateway's answer comes: it made the charge
  auto future = answered.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  const auto late = future.get();
  ExpectFailed(late, creating);
  EXPECT_NE(late.error().detail.find("too late"), std::string::npos) << late.error().detail;
  EXPECT_EQ(ChargesAt("wiinpay"), at_wiinpay + 1);
  const Charge failed = service_->Get("default", id).value();
  EXPECT_EQ(failed.status, ChargeStatus::kFailed);
  EXPECT_TRUE(failed.gateway_charge_id.empty());
  EXPECT_TRUE(failed.pix_code.empty());
  const auto history = HistoryOf(creating);
  ASSERT_EQ(history.size(), 2u);  // CREATING, then FAILED: never PENDING
  EXPECT_EQ(history[1].to, ChargeStatus::kFailed);
  ExpectFailed(service_->Create("default", "late-1", Request("wiinpay")), creating);
}

TEST_P(ChargeRecoveryTest, OverHttpARetryOfTheKeyAfterTheRecoveryAnswersTheFailedCharge) {
  const std::string key = Key("default", {Scope::kChargesWrite, Scope::kChargesRead});
  const Charge crashed = Crash("http-crash");
  const std::string body = R"({"amount":"12.50","currency":"BRL"})";
  const auto early = Call("POST", "/v1/charges", key, body, "http-crash");
  EXPECT_EQ(early.status, 409) << early.body;
  EXPECT_EQ(JsonAt(early.body, "code"), "charge_creating");
  EXPECT_NE(early.Header("Retry-After"), "");  // it is worth asking again

  clock_.AdvanceMs(kStaleMs + 1);
  EXPECT_EQ(service_->RecoverCreating(10), 1);
  for (int retry = 0; retry < 2; ++retry) {
    const auto after = Call("POST", "/v1/charges", key, body, "http-crash");
    EXPECT_EQ(after.status, 502) << after.body;
    EXPECT_EQ(JsonAt(after.body, "code"), "gateway_failed") << after.body;
    EXPECT_NE(after.body.find(crashed.id), std::string::npos) << after.body;
  }
  const auto read = Call("GET", "/v1/charges/" + crashed.id, key);
  EXPECT_EQ(JsonAt(read.body, "status"), "FAILED") << read.body;
  const auto history = Call("GET", "/v1/charges/" + crashed.id + "/history", key);
  EXPECT_EQ(JsonAt(history.body, "data.1.to"), "FAILED") << history.body;
  EXPECT_NE(JsonAt(history.body, "data.1.reason").value_or("").find("interrupted"),
            std::string::npos);
}

INSTANTIATE_BACKENDS(ChargeRecoveryTest);

}  // namespace
}  // namespace cambista::payins
