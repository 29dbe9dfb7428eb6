// Charges end to end over real HTTP, on both backends: the real adapters (payins/<gateway>/) talk
// to the sandbox simulators on a real HttpServer, whose webhooks come back to the same server's
// /webhooks/<gateway>/<tenant> route, through the ChargeService, the ledger and the outbox.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "api/api_key_store.hpp"
#include "api/charges.hpp"
#include "api/http_server.hpp"
#include "api/idempotency.hpp"
#include "api/router.hpp"
#include "core/clock.hpp"
#include "ledger/ledger.hpp"
#include "net/http_client.hpp"
#include "payins/charge_service.hpp"
#include "payins/registry.hpp"
#include "pix/br_code.hpp"
#include "sandbox/sandbox.hpp"
#include "security/hmac.hpp"
#include "security/token_bucket.hpp"
#include "test_database.hpp"

namespace cambista::payins {
namespace {

constexpr std::string_view kMasterKey = "charges-flow-test-master-key-0123456789abcdef";

bool WaitFor(const std::function<bool()>& condition) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

class ChargesFlowTest : public cambista::testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped()) return;
    ledger_ = std::make_unique<ledger::Ledger>(db(), clock_);
    RegisterPayinGateways(registry_);
    sandbox::SandboxOptions sandbox_options{&http_, &clock_};
    sandbox_options.webhook_retry_delay_ms = 50;
    sandbox_ = std::make_unique<sandbox::Sandbox>(sandbox_options);
    ChargeServiceOptions options;
    options.public_base_url = [this] { return base_url_; };
    service_ = std::make_unique<ChargeService>(
        db(), *ledger_, assets_, box_, clock_,
        [this](std::string_view name, const Credentials& credentials)
            -> Result<std::unique_ptr<PayinGateway>, ChargeError> {
          if (!registry_.Describe(name)) {
            return Failure(ChargeError{404, "unknown_gateway", "no such gateway", "gateway"});
          }
          GatewayContext context{&http_, &clock_, base_url_ + "/sandbox/" + std::string(name),
                                 5'000};
          auto built = registry_.Build(name, credentials, context);
          if (!built.ok()) {
            return Failure(
                ChargeError{400, built.error().code, built.error().message, built.error().field});
          }
          return std::move(built).value();
        },
        options);
    keys_ = std::make_unique<api::ApiKeyStore>(db(), clock_, kMasterKey,
                                               api::DeriveApiKeyPepper(kMasterKey));
    gate_ = std::make_unique<api::AuthGate>(api::AuthGate{*keys_, per_key_, per_ip_});
    idempotency_ = std::make_unique<api::Idempotency>(db(), clock_, box_);
    sandbox_->AddRoutes(router_);
    api::AddChargeRoutes(router_, *gate_, *idempotency_, *service_, assets_, metrics_);
    api::HttpServerOptions server_options;
    server_options.port = 0;
    server_options.io_threads = 2;
    server_ = std::make_unique<api::HttpServer>(
        server_options,
        [this](const api::HttpRequest& request) { return router_.Handle(request); });
    server_->Start();
    base_url_ = "http://127.0.0.1:" + std::to_string(server_->port());
    int64_t priority = 10;
    for (std::string_view gateway : sandbox::SandboxGateways()) {
      auto set = service_->SetGateway("default", gateway, sandbox_->Credentials(gateway), priority);
      ASSERT_TRUE(set.ok()) << gateway << ": " << set.error().detail;
      priority += 10;
    }
  }
  void TearDown() override {
    if (server_) server_->Stop(1'000);
    if (sandbox_) sandbox_->Stop();
    // Everything that holds the database (the ledger's threads above all) goes before it.
    server_.reset();
    idempotency_.reset();
    gate_.reset();
    keys_.reset();
    service_.reset();
    ledger_.reset();
    DatabaseTest::TearDown();
  }

  Charge CreateAt(std::string_view gateway, std::string_view amount, std::string tenant = "default",
                  std::string_view currency = "BRL") {
    NewCharge request{std::string(gateway), Money(amount, currency), "Pedido 123", "", {}, 3600};
    request.customer =
        Customer{"Joao da Silva", "12345678909", "joao@example.com", "+5511999999999"};
    auto created = service_->Create(tenant, "key-" + std::to_string(++keys_made_), request);
    EXPECT_TRUE(created.ok()) << (created.ok() ? "" : created.error().detail);
    return created.ok() ? created.value() : Charge{};
  }
  Amount Money(std::string_view text, std::string_view currency) {
    return Amount::Parse(text, assets_.Find(currency).value()).value();
  }
  net::ClientResponse Post(const std::string& path, std::string body,
                           std::vector<std::pair<std::string, std::string>> headers = {}) {
    net::ClientRequest request;
    request.method = "POST";
    request.url = base_url_ + path;
    request.body = std::move(body);
    request.headers = std::move(headers);
    request.headers.emplace_back("Content-Type", "application/json");
    auto response = http_.Send(request);
    EXPECT_TRUE(response.ok()) << path;
    return response.ok() ? response.value() : net::ClientResponse{};
  }
  int Control(const Charge& charge, std::string_view action, std::string body = "{}") {
    return Post("/sandbox/" + charge.gateway + "/charges/" + charge.gateway_charge_id + "/" +
                    std::string(action),
                std::move(body))
        .status;
  }
  std::string StatusOf(const Charge& charge) {
    auto now = service_->Get(charge.tenant, charge.id);
    return now ? now->status : "";
  }
  bool WaitForStatus(const Charge& charge, std::string_view status) {
    return WaitFor([&] { return StatusOf(charge) == status; });
  }
  i128 MerchantBalance(std::string_view tenant, std::string_view currency) {
    auto account = ledger_->LookupAccount(
        ChargeService::AccountId("merchant:" + std::string(tenant) + ":" + std::string(currency)));
    if (!account) return 0;
    return static_cast<i128>(account->credits_posted) - static_cast<i128>(account->debits_posted);
  }
  int64_t Count(const std::string& sql) {
    auto connection = db().Connect();
    int64_t count = 0;
    connection->Query(sql, {}, [&count](const store::Row& row) { count = row.Int64(0); });
    return count;
  }

  ManualClock clock_{SystemClock().NowNs()};
  const AssetRegistry assets_ = AssetRegistry::WithBuiltins();
  const SecretBox box_ = api::MakeSecretBox(kMasterKey);
  const net::HttpClient http_;
  std::unique_ptr<ledger::Ledger> ledger_;
  GatewayRegistry registry_;
  std::unique_ptr<sandbox::Sandbox> sandbox_;
  std::unique_ptr<ChargeService> service_;
  std::unique_ptr<api::ApiKeyStore> keys_;
  TokenBucketLimiter per_key_{clock_, {1000, 1000}};
  TokenBucketLimiter per_ip_{clock_, {1000, 1000}};
  std::unique_ptr<api::AuthGate> gate_;
  std::unique_ptr<api::Idempotency> idempotency_;
  obs::MetricsRegistry metrics_;
  api::Router router_;
  std::unique_ptr<api::HttpServer> server_;
  std::string base_url_;
  int keys_made_ = 0;
};

TEST_P(ChargesFlowTest, EveryPixGatewayGoesFromChargeToPaidOnTheLedger) {
  i128 expected = 0;
  for (std::string_view gateway : {"syncpay", "pushinpay", "paradise", "wiinpay", "atomopay"}) {
    SCOPED_TRACE(std::string(gateway));
    const Charge charge = CreateAt(gateway, "10.50");
    ASSERT_EQ(charge.status, "PENDING") << charge.last_error;
    EXPECT_EQ(charge.gateway, gateway);
    EXPECT_FALSE(charge.gateway_charge_id.empty());
    auto code = pix::ParseBrCode(charge.pix_code);
    ASSERT_TRUE(code.ok()) << charge.pix_code;
    ASSERT_TRUE(code.value().amount.has_value());
    EXPECT_EQ(code.value().amount->minor(), 1050);

    ASSERT_EQ(Control(charge, "pay"), 200);
    ASSERT_TRUE(WaitForStatus(charge, "PAID")) << StatusOf(charge);
    expected += 1050;
    EXPECT_EQ(MerchantBalance("default", "BRL"), expected);
    const auto paid = service_->Get("default", charge.id).value();
    EXPECT_EQ(paid.paid_amount, std::optional<i128>(1050));
    EXPECT_TRUE(paid.paid_at_ms.has_value());
  }
  EXPECT_EQ(Count("SELECT COUNT(*) FROM events WHERE type = 'charge.paid'"), 5);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM charge_history WHERE to_status = 'PAID'"), 5);
  const auto stats = service_->Stats("default");
  int64_t paid = 0;
  for (const auto& row : stats) paid += row.paid;
  EXPECT_EQ(paid, 5);
}

TEST_P(ChargesFlowTest, BuhoPagoChargeIsPaidInBolivares) {
  const Charge charge = CreateAt("buhopago", "150.00", "default", "VES");
  ASSERT_EQ(charge.status, "PENDING") << charge.last_error;
  EXPECT_TRUE(charge.pix_code.empty());
  EXPECT_FALSE(charge.payment_instructions.empty());
  ASSERT_EQ(Control(charge, "pay"), 200);
  ASSERT_TRUE(WaitForStatus(charge, "PAID")) << StatusOf(charge);
  EXPECT_EQ(MerchantBalance("default", "VES"), 15000);
}

TEST_P(ChargesFlowTest, DuplicateAndOutOfOrderDeliveriesChangeNothingTwice) {
  const Charge twice = CreateAt("syncpay", "20.00");
  ASSERT_EQ(Control(twice, "pay", R"({"deliveries":2})"), 200);
  ASSERT_TRUE(WaitForStatus(twice, "PAID"));
  const Charge late = CreateAt("pushinpay", "30.00");
  ASSERT_EQ(Control(late, "pay", R"({"out_of_order":true})"), 200);
  ASSERT_TRUE(WaitForStatus(late, "PAID"));
  // Both deliveries of each charge arrive (the second as a duplicate or a stale pending).
  ASSERT_TRUE(WaitFor([&] {
    return Count("SELECT COUNT(*) FROM gateway_webhooks") >= 2 &&
           service_->counters().duplicates.load() >= 1;
  }));
  ASSERT_TRUE(WaitFor([&] {
    return Count("SELECT COUNT(*) FROM gateway_webhooks WHERE gateway = 'pushinpay'") == 2;
  }));
  EXPECT_EQ(StatusOf(late), "PAID");
  EXPECT_EQ(MerchantBalance("default", "BRL"), 5000);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM charge_history WHERE to_status = 'PAID'"), 2);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM events WHERE type = 'charge.paid'"), 2);
}

TEST_P(ChargesFlowTest, AStatusNeverMovesBackwards) {
  const Charge charge = CreateAt("wiinpay", "12.34");
  ASSERT_EQ(Control(charge, "pay"), 200);
  ASSERT_TRUE(WaitForStatus(charge, "PAID"));
  // The gateway refuses to expire a paid charge, and a forged "pending"/"failed" after it is
  // refused by our side too.
  EXPECT_NE(Control(charge, "expire"), 200);
  const std::string body =
      R"({"id":")" + charge.gateway_charge_id + R"(","status":"failed","value":12.34})";
  const auto answer = Post("/webhooks/wiinpay/default", body);
  EXPECT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(StatusOf(charge), "PAID");
  EXPECT_EQ(MerchantBalance("default", "BRL"), 1234);
}

TEST_P(ChargesFlowTest, BadSignatureIsRefusedAndNothingIsStored) {
  const Charge charge = CreateAt("buhopago", "50.00", "default", "VES");
  const std::string body =
      R"({"event":"payment.completed","data":{"id":")" + charge.gateway_charge_id + R"("}})";
  const auto forged =
      Post("/webhooks/buhopago/default", body, {{"X-Signature", std::string(64, 'a')}});
  EXPECT_EQ(forged.status, 401) << forged.body;
  const auto unsigned_ = Post("/webhooks/buhopago/default", body);
  EXPECT_EQ(unsigned_.status, 401);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM gateway_webhooks"), 0);
  EXPECT_EQ(service_->counters().bad_signature.load(), 2u);
  EXPECT_EQ(StatusOf(charge), "PENDING");
  // Malformed and unknown gateways.
  EXPECT_EQ(Post("/webhooks/syncpay/default", "not json").status, 400);
  EXPECT_EQ(Post("/webhooks/nosuchpay/default", "{}").status, 404);
}

TEST_P(ChargesFlowTest, AnotherAmountGoesToManualReviewNotPaid) {
  const Charge charge = CreateAt("paradise", "10.00");
  ASSERT_EQ(Control(charge, "pay", R"({"amount":"9.99"})"), 200);
  ASSERT_TRUE(WaitForStatus(charge, "MANUAL_REVIEW"));
  const auto review = service_->Get("default", charge.id).value();
  EXPECT_EQ(review.amount, 1000);
  EXPECT_EQ(review.paid_amount, std::optional<i128>(999));
  EXPECT_EQ(MerchantBalance("default", "BRL"), 0);
}

TEST_P(ChargesFlowTest, FallsBackToTheNextGatewayWhenTheFirstFails) {
  // Tenant "acme": SyncPay first with credentials the gateway refuses, then PushinPay.
  Credentials wrong = sandbox_->Credentials("syncpay");
  for (auto& [name, value] : wrong) value = "wrong-" + value;
  ASSERT_TRUE(service_->SetGateway("acme", "syncpay", wrong, 1).ok());
  ASSERT_TRUE(
      service_->SetGateway("acme", "pushinpay", sandbox_->Credentials("pushinpay"), 2).ok());
  NewCharge request{std::nullopt, Money("25.00", "BRL"), "fallback", "", {}, 3600};
  auto created = service_->Create("acme", "fallback-key", request);
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created.value().status, "PENDING");
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
  // Webhooks of one tenant never touch another's charges.
  const Charge charge{created.value()};
  ASSERT_EQ(Control(charge, "pay"), 200);
  ASSERT_TRUE(WaitForStatus(charge, "PAID"));
  EXPECT_EQ(MerchantBalance("acme", "BRL"), 2500);
  EXPECT_EQ(MerchantBalance("default", "BRL"), 0);
}

TEST_P(ChargesFlowTest, UnpaidChargesExpireAndLostPaymentsAreFound) {
  const Charge unpaid = CreateAt("syncpay", "5.00");
  const Charge silent = CreateAt("paradise", "6.00");
  ASSERT_EQ(Control(silent, "pay", R"({"deliveries":0})"), 200);  // the webhook never comes
  clock_.AdvanceMs(2 * 3'600'000);
  EXPECT_EQ(service_->ExpireDue(), 2);
  EXPECT_EQ(StatusOf(unpaid), "EXPIRED");
  EXPECT_EQ(StatusOf(silent), "PAID");  // asked the gateway before expiring it
  EXPECT_EQ(MerchantBalance("default", "BRL"), 600);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM events WHERE type = 'charge.expired'"), 1);
}

TEST_P(ChargesFlowTest, AWebhookWithoutATenantInItsUrlFindsItsTenant) {
  // ÁtomoPay names the account by its producer hash, learnt when the charge was created.
  const Charge charge = CreateAt("atomopay", "7.00");
  ASSERT_EQ(charge.status, "PENDING") << charge.last_error;
  EXPECT_EQ(Count("SELECT COUNT(*) FROM gateway_credentials WHERE gateway = 'atomopay' AND "
                  "tenant_hint IS NOT NULL"),
            1);
  ASSERT_EQ(Control(charge, "pay", R"({"deliveries":0})"), 200);
  const std::string body = R"({"id":1,"hash":")" + charge.gateway_charge_id +
                           R"(","payment_status":"paid","amount":700,"producer":{"hash":")" +
                           std::string(sandbox::kSandboxAtomoPayProducerHash) + R"("}})";
  const auto answer = Post("/webhooks/atomopay", body);
  EXPECT_EQ(answer.status, 200) << answer.body;
  EXPECT_NE(answer.body.find("\"applied\""), std::string::npos) << answer.body;
  EXPECT_EQ(StatusOf(charge), "PAID");
  EXPECT_EQ(MerchantBalance("default", "BRL"), 700);
}

INSTANTIATE_BACKENDS(ChargesFlowTest);

}  // namespace
}  // namespace cambista::payins
