// The pay-in stack over real HTTP, on both backends, for the charge tests: the real adapters
// (providers/<gateway>/) talk to the sandbox simulators on a real HttpServer whose webhooks come
// back to the same server's /webhooks/<gateway>/<tenant>/<token>, through the ChargeService, the
// job queue (confirmations), the ledger and the outbox. The clock is manual: only the tests move
// it.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "accounting/chart.hpp"
#include "api/api_key_store.hpp"
#include "api/http_server.hpp"
#include "api/idempotency.hpp"
#include "core/clock.hpp"
#include "core/int128.hpp"
#include "http/router.hpp"
#include "jobs/job_queue.hpp"
#include "ledger/ledger.hpp"
#include "net/http_client.hpp"
#include "payins/charge_service.hpp"
#include "payins/provider_json.hpp"
#include "payins/registry.hpp"
#include "payins/routes.hpp"
#include "providers/providers.hpp"
#include "response_recording.hpp"
#include "security/hmac.hpp"
#include "security/token_bucket.hpp"
#include "test_database.hpp"

namespace cambista::payins::test_support {

inline constexpr std::string_view kMasterKey = "charges-flow-test-master-key-0123456789abcdef";

inline bool WaitFor(const std::function<bool()>& condition) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

class ChargesTest : public cambista::testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped()) return;
    ledger_ = std::make_unique<ledger::Ledger>(db(), clock_);
    chart_ = std::make_unique<accounting::Chart>(db(), *ledger_);
    RegisterPayinGateways(registry_);
    sandbox::SandboxOptions sandbox_options{&http_, &clock_};
    sandbox_options.webhook_retry_delay_ms = 50;
    sandbox_options.pushinpay_status_interval_ms =
        0;  // tests ask PushinPay more than once a minute
    sandbox_ = std::make_unique<sandbox::Sandbox>(sandbox_options);
    jobs::JobQueueOptions job_options;
    job_options.poll_interval_ms = 20;
    job_options.worker_count = 2;
    jobs_ = std::make_unique<jobs::JobQueue>(db(), clock_, job_options);
    service_ = std::make_unique<ChargeService>(
        db(), *ledger_, *chart_, assets_, box_, clock_,
        [this](std::string_view name, const Credentials& credentials) {
          return BuildAdapter(name, credentials);
        },
        lanes_, Options());
    jobs_->Register(std::string(kConfirmJobKind), [this](const jobs::JobContext& context) {
      const ConfirmOutcome outcome = service_->Confirm(context.job.payload);
      if (outcome.done) return jobs::JobOutcome::Done();
      return jobs::JobOutcome::Retry(outcome.error, std::max<int64_t>(outcome.retry_after_ms, 20));
    });
    keys_ = std::make_unique<api::ApiKeyStore>(db(), clock_, kMasterKey,
                                               api::DeriveApiKeyPepper(kMasterKey));
    gate_ = std::make_unique<api::AuthGate>(api::AuthGate{*keys_, per_key_, per_ip_});
    idempotency_ = std::make_unique<api::Idempotency>(db(), clock_, box_);
    recorder_ = cambista::testing::RecordResponsesIfAsked(router_);
    sandbox_->AddRoutes(router_);
    payins::AddChargeRoutes(router_, *gate_, *idempotency_, *service_, assets_, metrics_, clock_,
                            RouteOptions());
    BeforeStart();
    StartServer();
    jobs_->Start();
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
    lanes_.Stop();
    if (jobs_) jobs_->Stop();
    // Everything that holds the database (the ledger's threads above all) goes before it.
    server_.reset();
    idempotency_.reset();
    gate_.reset();
    keys_.reset();
    jobs_.reset();
    service_.reset();
    chart_.reset();
    ledger_.reset();
    DatabaseTest::TearDown();
  }

  virtual ChargeServiceOptions Options() {
    ChargeServiceOptions options;
    options.public_base_url = [this] { return base_url_; };
    options.wake_jobs = [this] { jobs_->Wake(); };
    return options;
  }
  virtual payins::ChargeRoutesOptions RouteOptions() { return {}; }
  // More routes and job handlers, for suites that need them: called once the services are built,
  // before the server and the job workers start.
  virtual void BeforeStart() {}
  // Where the adapter of `gateway` sends its calls (a suite may put something in between).
  virtual std::string GatewayBaseUrl(std::string_view gateway) {
    return base_url_ + "/sandbox/" + std::string(gateway);
  }

  Result<std::unique_ptr<PayinGateway>, ChargeError> BuildAdapter(std::string_view name,
                                                                  const Credentials& credentials) {
    if (!registry_.Describe(name)) {
      return Failure(ChargeError{ChargeErrorKind::kUnknownGateway, "no such gateway", "gateway"});
    }
    GatewayContext context{&http_, &clock_, GatewayBaseUrl(name), 5'000};
    auto built = registry_.Build(name, credentials, context);
    if (!built.ok()) {
      return Failure(AsChargeError(built.error()));
    }
    return std::move(built).value();
  }

  void StartServer() {
    api::HttpServerOptions server_options;
    server_options.port = 0;
    server_options.io_threads = 2;
    server_options.answers_inline = [this](const http::HttpRequest& request) {
      return router_.AnswersFromMemory(request);
    };
    server_ = std::make_unique<api::HttpServer>(
        server_options,
        [this](const http::HttpRequest& request) { return router_.Handle(request); });
    server_->Start();
    base_url_ = "http://127.0.0.1:" + std::to_string(server_->port());
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
  Amount Money(std::string_view text, std::string_view currency = "BRL") {
    return Amount::Parse(text, assets_.Find(currency).value()).value();
  }
  net::ClientResponse Send(std::string method, const std::string& path, std::string body = "",
                           std::vector<std::pair<std::string, std::string>> headers = {}) {
    net::ClientRequest request;
    request.method = std::move(method);
    request.url = base_url_ + path;
    request.body = std::move(body);
    request.headers = std::move(headers);
    if (!request.body.empty()) request.headers.emplace_back("Content-Type", "application/json");
    auto response = http_.Send(request);
    EXPECT_TRUE(response.ok()) << path;
    return response.ok() ? response.value() : net::ClientResponse{};
  }
  net::ClientResponse Post(const std::string& path, std::string body,
                           std::vector<std::pair<std::string, std::string>> headers = {}) {
    return Send("POST", path, std::move(body), std::move(headers));
  }
  // Moves the charge at its simulated gateway (pay, fail, expire, refund); the HTTP status.
  int Control(const Charge& charge, std::string_view action, std::string body = "{}") {
    return Post("/sandbox/" + charge.gateway + "/charges/" + charge.gateway_charge_id + "/" +
                    std::string(action),
                std::move(body))
        .status;
  }
  // The simulator's view of a charge, as JSON text.
  std::string AtGateway(const Charge& charge) {
    return Send("GET", "/sandbox/" + charge.gateway + "/charges/" + charge.gateway_charge_id).body;
  }
  std::string GatewayField(const Charge& charge, std::string_view field) {
    auto document = JsonDocument::Parse(AtGateway(charge));
    if (!document.ok()) return "";
    const JsonNode* node = document.value().root().Find(field);
    return node == nullptr ? "" : std::string(node->text());
  }
  // A "paid" webhook in the gateway's shape for `charge` (as the gateway would send it, unsigned),
  // of `amount_minor` centavos or céntimos.
  static std::string PaidWebhook(const Charge& charge, i128 amount_minor) {
    const std::string reais = ToDecimal(amount_minor / 100) + "." +
                              (amount_minor % 100 < 10 ? "0" : "") + ToDecimal(amount_minor % 100);
    const std::string cents = ToDecimal(amount_minor);
    const std::string& id = charge.gateway_charge_id;
    if (charge.gateway == "syncpay") {
      return R"({"data":{"id":")" + id + R"(","status":"completed","amount":)" + reais + "}}";
    }
    if (charge.gateway == "paradise") {
      return R"({"id":")" + id + R"(","payment_status":"paid","amount":)" + cents + "}";
    }
    if (charge.gateway == "atomopay") {
      return R"({"hash":")" + id + R"(","payment_status":"paid","amount":)" + cents + "}";
    }
    if (charge.gateway == "pushinpay") {
      return R"({"id":")" + id + R"(","status":"paid","value":)" + cents + "}";
    }
    if (charge.gateway == "wiinpay") {
      return R"({"id":")" + id + R"(","status":"paid","value":)" + reais + "}";
    }
    return R"({"event":"payment.completed","data":{"payment_link_id":")" + id +
           R"(","transaction_id":"txn_forged","amount":)" + reais +
           R"(,"currency":"VES","status":"completed"}})";
  }
  // The path of the callback URL the charge's gateway was given (with its token).
  std::string CallbackPath(const Charge& charge) {
    const std::string url = GatewayField(charge, "webhook_url");
    return url.substr(base_url_.size());
  }
  std::optional<ChargeStatus> StatusOf(const Charge& charge) {
    auto now = service_->Get(charge.tenant, charge.id);
    return now ? std::optional(now->status) : std::nullopt;
  }
  bool WaitForStatus(const Charge& charge, ChargeStatus status) {
    return WaitFor([&] { return StatusOf(charge) == status; });
  }
  // What the desk owes (credit-normal) or holds (debit-normal) on an account of the chart.
  i128 Balance(const accounting::AccountRef& ref) {
    auto account = ledger_->LookupAccount(ref.Id());
    if (!account) return 0;
    const i128 credits = static_cast<i128>(account->credits_posted);
    const i128 debits = static_cast<i128>(account->debits_posted);
    return accounting::Describe(ref.kind).side == accounting::NormalSide::kDebit ? debits - credits
                                                                                 : credits - debits;
  }
  i128 MerchantBalance(std::string_view tenant, std::string_view currency) {
    return Balance(accounting::MerchantAccount(tenant, currency));
  }
  int64_t Count(const std::string& sql) {
    auto connection = db().Connect();
    int64_t count = 0;
    connection->Query(sql, {}, [&count](const store::Row& row) { count = row.Int64(0); });
    return count;
  }
  // Waits until `count` webhook deliveries for the charge have been recorded.
  bool WaitForDeliveries(const Charge& charge, int64_t count) {
    return WaitFor([&] {
      return Count("SELECT COUNT(*) FROM gateway_deliveries WHERE charge_id = '" + charge.id +
                   "'") >= count;
    });
  }
  // Waits until every confirmation asked for has been made. PushinPay answers a status query once
  // a minute per transaction: a confirmation waiting for it runs once the (manual) clock has
  // moved on by a minute.
  bool SettleJobs() {
    return WaitFor([&] {
      if (JobsSettled()) return true;
      clock_.AdvanceMs(61'000);
      jobs_->Wake();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      return JobsSettled();
    });
  }
  // No job is waiting or running: every confirmation asked for has been made.
  bool JobsSettled() {
    const jobs::QueueStats stats = jobs_->Stats();
    return stats.ready == 0 && stats.running == 0;
  }

  ManualClock clock_{SystemClock().NowNs()};
  const AssetRegistry assets_ = AssetRegistry::WithBuiltins();
  const SecretBox box_ = api::MakeSecretBox(kMasterKey);
  const net::HttpClient http_;
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<accounting::Chart> chart_;
  GatewayRegistry registry_;
  GatewayLanes lanes_{clock_};
  std::unique_ptr<sandbox::Sandbox> sandbox_;
  std::unique_ptr<jobs::JobQueue> jobs_;
  std::unique_ptr<ChargeService> service_;
  std::unique_ptr<api::ApiKeyStore> keys_;
  TokenBucketLimiter per_key_{clock_, {1000, 1000}};
  TokenBucketLimiter per_ip_{clock_, {1000, 1000}};
  std::unique_ptr<api::AuthGate> gate_;
  std::unique_ptr<api::Idempotency> idempotency_;
  obs::MetricsRegistry metrics_;
  std::unique_ptr<api::ResponseRecorder> recorder_;  // outlives the router's server
  http::Router router_;
  std::unique_ptr<api::HttpServer> server_;
  std::string base_url_;
  int keys_made_ = 0;
};

}  // namespace cambista::payins::test_support
